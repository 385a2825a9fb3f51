#include "runtime/system.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <fstream>
#include <vector>

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
  // oneDNN reports the highest ISA it may use (its cap), not what the CPU has;
  // the CPU's own flags say which of its kernels can actually run.
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line, flags;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("flags", 0) == 0) {
      flags = line + " ";
      break;
    }
  }
  std::vector<std::string> present;
  for (const char* flag : {"avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "avx512_bf16", "amx_tile"}) {
    if (flags.find(std::string(" ") + flag + " ") != std::string::npos) present.emplace_back(flag);
  }
  const dnnl_version_t* v = dnnl::version();
  return fmt::format("v{}.{}.{}, ISA cap {}; CPU flags: {}", v->major, v->minor, v->patch,
                     isa_name(dnnl::get_effective_cpu_isa()), present.empty() ? "unknown" : fmt::format("{}", fmt::join(present, " ")));
}

}  // namespace litevit::runtime
