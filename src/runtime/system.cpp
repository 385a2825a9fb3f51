#include "runtime/system.h"

#include <fmt/format.h>

#include <oneapi/dnnl/dnnl.hpp>

#include "runtime/kernels/hwy/hwy_kernels.h"

namespace litevit::runtime {
namespace {

const char* isa_name(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "other";
  }
}

}  // namespace

std::string simd_target_name() { return hwy::simd_target_name(); }

std::string onednn_description() {
  const dnnl_version_t* v = dnnl::version();
  return fmt::format("v{}.{}.{}, CPU ISA {}", v->major, v->minor, v->patch, isa_name(dnnl::get_effective_cpu_isa()));
}

}  // namespace litevit::runtime
