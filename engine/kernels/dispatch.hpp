// engine/kernels/dispatch.hpp — which instruction set the engine's own kernels run, picked at run time.
//
// A portable build (MTF_NATIVE=OFF) compiles the library for a baseline (MTF_BASELINE, x86-64-v2); in
// every build the kernels that pay for wider vectors (engine/kernels/gemm_*.cpp) are compiled once per
// instruction set, each file with its own -m flags, and the first GEMM picks the widest one this CPU
// runs: AVX-512F, else AVX2 + FMA, else Eigen's kernels ("generic"). The environment variable
// MTF_KERNEL (avx512 | avx2 | generic | auto) or set_kernel() overrides the choice, e.g. to test each
// path on one machine. Each path gives the same bits at any thread count; different paths round
// differently (tolerance-checked in tests/engine/kernels/dispatch_test.cpp).
#pragma once
#include <string>

namespace mtf {

/// An implementation of the engine's kernels.
enum class KernelIsa { Generic, Avx2, Avx512 };

/// "generic", "avx2" or "avx512".
const char* kernel_name(KernelIsa isa);

/// The kernel named `name` ("generic", "avx2", "avx512"), or the best supported one for "auto" / "".
/// Throws std::invalid_argument naming `what` (e.g. "MTF_KERNEL") for an unknown name and
/// std::runtime_error for a kernel this CPU or this build cannot run.
KernelIsa kernel_from_name(const std::string& name, const std::string& what = "kernel");

/// Whether this build carries the kernel and this CPU (and OS) runs it. Generic: always.
bool kernel_supported(KernelIsa isa);

/// The widest supported kernel: what runs unless MTF_KERNEL or set_kernel() says otherwise.
KernelIsa best_kernel();

/// The kernel the engine runs now. The first call reads MTF_KERNEL (and throws as kernel_from_name on a
/// bad value).
KernelIsa active_kernel();

/// Makes the engine run `isa` from the next kernel call on (throws std::runtime_error if unsupported).
/// Not to be called while another thread runs engine kernels.
void set_kernel(KernelIsa isa);

/// One line for --version output: the active kernel and the CPU's supported ones, e.g.
/// "kernel avx512 (supported: avx512 avx2 generic; baseline x86-64-v2)".
std::string kernel_summary();

}  // namespace mtf
