#include "engine/kernels/dispatch.hpp"

#include <atomic>
#include <cstdlib>
#include <stdexcept>

#include "engine/kernels/gemm_kernels.hpp"

#ifndef MTF_BASELINE_NAME
#define MTF_BASELINE_NAME "unknown"
#endif

namespace mtf {

namespace {

// -1: not read yet (MTF_KERNEL is read on the first active_kernel()).
std::atomic<int> g_active{-1};

bool cpu_has(KernelIsa isa) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();  // idempotent; needed if called before libgcc's constructor (static init)
  switch (isa) {
    case KernelIsa::Avx512:
      // __builtin_cpu_supports also checks that the OS saves the zmm state (XCR0).
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
    case KernelIsa::Avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case KernelIsa::Generic:
      return true;
  }
  return false;
#else
  return isa == KernelIsa::Generic;
#endif
}

}  // namespace

const char* kernel_name(KernelIsa isa) {
  switch (isa) {
    case KernelIsa::Avx512: return "avx512";
    case KernelIsa::Avx2: return "avx2";
    case KernelIsa::Generic: return "generic";
  }
  return "?";
}

bool kernel_supported(KernelIsa isa) {
  switch (isa) {
    case KernelIsa::Avx512: return avx512::compiled() && cpu_has(isa);
    case KernelIsa::Avx2: return avx2::compiled() && cpu_has(isa);
    case KernelIsa::Generic: return true;
  }
  return false;
}

KernelIsa best_kernel() {
  if (kernel_supported(KernelIsa::Avx512)) return KernelIsa::Avx512;
  if (kernel_supported(KernelIsa::Avx2)) return KernelIsa::Avx2;
  return KernelIsa::Generic;
}

KernelIsa kernel_from_name(const std::string& name, const std::string& what) {
  if (name.empty() || name == "auto") return best_kernel();
  KernelIsa isa;
  if (name == "avx512")
    isa = KernelIsa::Avx512;
  else if (name == "avx2")
    isa = KernelIsa::Avx2;
  else if (name == "generic")
    isa = KernelIsa::Generic;
  else
    throw std::invalid_argument(what + ": unknown kernel '" + name + "' (expected avx512, avx2, generic or auto)");
  if (!kernel_supported(isa))
    throw std::runtime_error(what + "=" + name + ": " +
                             (cpu_has(isa) ? "this build does not carry that kernel" : "this CPU does not support it") +
                             " (supported here: " + (kernel_supported(KernelIsa::Avx512) ? "avx512 " : "") +
                             (kernel_supported(KernelIsa::Avx2) ? "avx2 " : "") + "generic)");
  return isa;
}

KernelIsa active_kernel() {
  int v = g_active.load(std::memory_order_relaxed);
  if (v < 0) {
    const char* env = std::getenv("MTF_KERNEL");
    v = int(kernel_from_name(env ? env : "", "MTF_KERNEL"));
    int expected = -1;  // a concurrent first call computes the same value; set_kernel() wins over both
    g_active.compare_exchange_strong(expected, v, std::memory_order_relaxed);
    v = g_active.load(std::memory_order_relaxed);
  }
  return KernelIsa(v);
}

void set_kernel(KernelIsa isa) {
  if (!kernel_supported(isa)) kernel_from_name(kernel_name(isa));  // throws the explanation
  g_active.store(int(isa), std::memory_order_relaxed);
}

std::string kernel_summary() {
  std::string s = std::string("kernel ") + kernel_name(active_kernel()) + " (supported:";
  for (KernelIsa isa : {KernelIsa::Avx512, KernelIsa::Avx2, KernelIsa::Generic})
    if (kernel_supported(isa)) s += std::string(" ") + kernel_name(isa);
  return s + "; compiled for " + MTF_BASELINE_NAME + ")";
}

}  // namespace mtf
