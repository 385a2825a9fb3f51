// assign_layout: activations stay channels-last (NHWC) from conv to conv.
//
// Every NCHW conv2d and interpolate becomes its channels_last form between a
// permute to NHWC and a permute back. Permutes are then kept "virtual" in one
// forward sweep: a value that is permute(source, perm) is not computed; ops
// that do not care about layout are rewritten to work on the source and their
// output becomes virtual in turn:
//   unary (gelu, silu, relu, scale)     u(P(s))          -> P(u(s))
//   add, mul                            P(a) + P(b)      -> P(a + b)
//                                       P(a) + constant  -> P(a + P^-1(constant))
//   batch_norm                          bn(P(s), axis)   -> P(bn(s, perm[axis]))
//   concat                              cat(P(a), P(b))  -> P(cat(a, b))
//   reduce_mean                         mean(P(s), axes) -> mean(s, perm[axes]) (+ permute of the rest)
//   permute                             P2(P1(s))        -> (P1 o P2)(s); identity -> s
//   conv2d / interpolate                take an NHWC source directly
// Any other consumer, and a graph output, gets the permute computed (once).
// So conv -> bn -> silu -> conv chains carry no permutes at all.
#pragma once

#include "graph/graph.h"

namespace litevit::passes {

bool assign_layout(graph::Graph& graph);

}  // namespace litevit::passes
