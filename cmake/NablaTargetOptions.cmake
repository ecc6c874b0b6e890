# NablaTargetOptions.cmake
#
# nabla_target_options(<target>)
#   Compile options for nabla's own targets (library, tests, examples,
#   benchmarks); never applied globally, so third-party code is untouched.
#   - warnings: -Wall -Wextra -Wpedantic (+ -Werror with NABLA_WERROR=ON)
#   - -march=native with NABLA_NATIVE=ON (when the compiler supports it)
#   - -fsanitize=<NABLA_SANITIZE> when that is set (e.g. "address,undefined"), compile and link
# All PRIVATE: nothing of this leaks into nabla::nabla's consumers.

include_guard(GLOBAL)
include(CheckCXXCompilerFlag)

if(NABLA_NATIVE)
  check_cxx_compiler_flag("-march=native" NABLA_HAVE_MARCH_NATIVE)
  if(NOT NABLA_HAVE_MARCH_NATIVE)
    message(WARNING "nabla: NABLA_NATIVE=ON but the compiler rejects -march=native; ignoring")
  endif()
endif()

function(nabla_target_options target)
  if(MSVC)
    target_compile_options(${target} PRIVATE /W4 $<$<BOOL:${NABLA_WERROR}>:/WX>)
  else()
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
    # nabla never reads errno; without this, std::sqrt's errno path blocks vectorising the
    # optimiser and elementwise loops (Adam's step over 235k parameters: 2.0 ms -> 0.15 ms).
    target_compile_options(${target} PRIVATE -fno-math-errno)
    # No implicit FMA contraction: a vectorised loop body and its scalar remainder must round
    # identically, or results would depend on where thread-count-dependent chunks end.
    target_compile_options(${target} PRIVATE -ffp-contract=off)
    # GCC 12 reports a false -Wrestrict inside libstdc++'s std::string operator+ at -O3
    # (GCC bug 105651, fixed in GCC 13); it says nothing about our code.
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
      target_compile_options(${target} PRIVATE -Wno-restrict)
      # GCC 12.2 with AVX-512 (-march=native on this machine) miscompiles small constant
      # arrays through SLP vectorisation: `double v[4] = {1, 1, 0, 0}; memcpy(p, v, 32)` stores
      # {1, 1, 1, 1} even at -O2. Loop vectorisation is unaffected and stays on.
      target_compile_options(${target} PRIVATE -fno-tree-slp-vectorize)
    endif()
    if(NABLA_WERROR)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
    if(NABLA_SANITIZE)
      # Every sanitizer report is fatal: a test that triggers one fails instead of printing and
      # passing. Frame pointers keep ASan's stack traces whole at -O1.
      target_compile_options(${target} PRIVATE -fsanitize=${NABLA_SANITIZE}
                             -fno-sanitize-recover=all -fno-omit-frame-pointer)
      # PUBLIC: whoever links the instrumented static library needs the sanitizer runtimes too.
      target_link_options(${target} PUBLIC -fsanitize=${NABLA_SANITIZE})
    endif()
    if(NABLA_NATIVE AND NABLA_HAVE_MARCH_NATIVE)
      target_compile_options(${target} PRIVATE -march=native)
    endif()
  endif()
endfunction()
