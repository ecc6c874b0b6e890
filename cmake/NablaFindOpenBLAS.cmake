# NablaFindOpenBLAS.cmake
#
# Locates OpenBLAS (its CBLAS header and its library) and provides the
# imported target `nabla::OpenBLAS`:
#   - INTERFACE_INCLUDE_DIRECTORIES: the directory holding OpenBLAS's cblas.h
#   - IMPORTED_LOCATION:             the OpenBLAS library
#
# Used twice: by nabla's own build (CMakeLists.txt) and by the installed
# nablaConfig.cmake, so that consumers of a static libnabla.a can link the
# `$<LINK_ONLY:nabla::OpenBLAS>` dependency recorded in nablaTargets.cmake.
#
# Search order: hints from pkg-config (`openblas.pc`), then the usual prefixes,
# preferring the `openblas-pthread/` and `openblas/` sub-directories that
# Debian uses (the plain /usr/include/<multiarch>/cblas.h is an alternatives
# link that may point to another BLAS's header). A cache entry may override:
#   -DNABLA_CBLAS_INCLUDE_DIR=/path/to/dir/with/cblas.h
#   -DNABLA_OPENBLAS_LIBRARY=/path/to/libopenblas.so
# The caller may set NABLA_OPENBLAS_HINT_DIRS (extra directories to search).
# On failure this is a fatal configure error, unless the caller set
# NABLA_OPENBLAS_NO_FATAL, in which case it only sets
# NABLA_OPENBLAS_NOT_FOUND_MESSAGE and defines no target.

if(TARGET nabla::OpenBLAS)
  return()
endif()

find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(NABLA_PC_OPENBLAS QUIET openblas)
endif()

find_path(NABLA_CBLAS_INCLUDE_DIR
  NAMES cblas.h
  HINTS ${NABLA_PC_OPENBLAS_INCLUDE_DIRS} ${NABLA_OPENBLAS_HINT_DIRS}
  PATH_SUFFIXES openblas-pthread openblas
  DOC "Directory containing OpenBLAS's cblas.h")

find_library(NABLA_OPENBLAS_LIBRARY
  NAMES openblas
  HINTS ${NABLA_PC_OPENBLAS_LIBRARY_DIRS} ${NABLA_OPENBLAS_HINT_DIRS}
  PATH_SUFFIXES openblas-pthread openblas
  DOC "The OpenBLAS library")

if(NOT NABLA_CBLAS_INCLUDE_DIR OR NOT NABLA_OPENBLAS_LIBRARY)
  set(_nabla_blas_msg
    "OpenBLAS (CBLAS header cblas.h and library libopenblas) not found.\n"
    "  cblas.h:     ${NABLA_CBLAS_INCLUDE_DIR}\n"
    "  libopenblas: ${NABLA_OPENBLAS_LIBRARY}\n"
    "On Debian/Ubuntu install it with:  apt-get install libopenblas-dev\n"
    "(or run scripts/install-deps.sh), or point CMake at it with "
    "-DNABLA_CBLAS_INCLUDE_DIR=... -DNABLA_OPENBLAS_LIBRARY=...")
  string(CONCAT NABLA_OPENBLAS_NOT_FOUND_MESSAGE ${_nabla_blas_msg})
  unset(_nabla_blas_msg)
  if(NABLA_OPENBLAS_NO_FATAL)
    return()
  endif()
  message(FATAL_ERROR "${NABLA_OPENBLAS_NOT_FOUND_MESSAGE}")
endif()

add_library(nabla::OpenBLAS UNKNOWN IMPORTED)
set_target_properties(nabla::OpenBLAS PROPERTIES
  IMPORTED_LOCATION "${NABLA_OPENBLAS_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${NABLA_CBLAS_INCLUDE_DIR}")

if(NOT NABLA_OPENBLAS_NO_FATAL)
  message(STATUS "nabla: OpenBLAS library: ${NABLA_OPENBLAS_LIBRARY}")
  message(STATUS "nabla: OpenBLAS cblas.h: ${NABLA_CBLAS_INCLUDE_DIR}")
endif()
