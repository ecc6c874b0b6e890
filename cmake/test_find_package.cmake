# test_find_package.cmake -- run by the CTest test `package_find_package`.
#
#   cmake -DNABLA_BINARY_DIR=<build> -DNABLA_SOURCE_DIR=<src>
#         [-DNABLA_CONFIG=Release] [-DNABLA_GENERATOR=...] [-DNABLA_CXX_COMPILER=...]
#         -P cmake/test_find_package.cmake
#
# 1. cmake --install <build> --prefix <build>/package-test/prefix
# 2. configure + build tests/package/ (find_package(nabla REQUIRED)) against it
# 3. run the consumer; it must exit 0.

foreach(var NABLA_BINARY_DIR NABLA_SOURCE_DIR)
  if(NOT ${var})
    message(FATAL_ERROR "test_find_package.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT NABLA_CONFIG)
  set(NABLA_CONFIG Release)
endif()

set(work   "${NABLA_BINARY_DIR}/package-test")
set(prefix "${work}/prefix")
set(build  "${work}/build")

function(run_step what)
  string(REPLACE ";" " " pretty "${ARGN}")
  message(STATUS "[package test] ${what}: ${pretty}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "[package test] ${what} failed (${rc})")
  endif()
endfunction()

file(REMOVE_RECURSE "${work}")

run_step("install" "${CMAKE_COMMAND}" --install "${NABLA_BINARY_DIR}"
         --prefix "${prefix}" --config "${NABLA_CONFIG}")

set(configure_args
  -S "${NABLA_SOURCE_DIR}/tests/package"
  -B "${build}"
  "-DCMAKE_PREFIX_PATH=${prefix}"
  "-DCMAKE_BUILD_TYPE=${NABLA_CONFIG}")
if(NABLA_GENERATOR)
  list(APPEND configure_args -G "${NABLA_GENERATOR}")
endif()
if(NABLA_CXX_COMPILER)
  list(APPEND configure_args "-DCMAKE_CXX_COMPILER=${NABLA_CXX_COMPILER}")
endif()
run_step("configure" "${CMAKE_COMMAND}" ${configure_args})
run_step("build" "${CMAKE_COMMAND}" --build "${build}" --config "${NABLA_CONFIG}")

# Single-config generators put the executable in <build>/, multi-config ones
# in <build>/<config>/.
foreach(candidate "${build}/nabla_package_consumer" "${build}/${NABLA_CONFIG}/nabla_package_consumer")
  if(EXISTS "${candidate}")
    set(exe "${candidate}")
    break()
  endif()
endforeach()
if(NOT exe)
  message(FATAL_ERROR "[package test] consumer executable not found under ${build}")
endif()
run_step("run" "${exe}")
message(STATUS "[package test] OK: find_package(nabla) + nabla::nabla work from ${prefix}")
