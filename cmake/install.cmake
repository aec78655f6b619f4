# cmake --install <build> --prefix P: the library for other projects (issue 14).
#
#   P/include/mtf/{engine,nets,rl,ope}/...   the headers, included as "engine/tape.hpp" etc.
#   P/lib/libmtf_*.a                          the static libraries
#   P/lib/cmake/mtf/                          mtfConfig.cmake: find_package(mtf CONFIG REQUIRED) finds
#                                             Eigen3, OpenMP and nlohmann_json, then defines
#   mtf::engine  mtf::nets  mtf::data  mtf::sim  mtf::rl  mtf::ope  mtf::loop  mtf::online (BO, ES)
#   mtf::serving  serving an exported policy (`mtf export`): serving/served_policy.hpp (C++) and
#                 serving/mtf_serving.h (C); the networks only. tests/install builds a consumer against it.
#
# The default package (MTF_NATIVE=OFF) is portable: compiled for x86-64-v2, its kernels picked at run time,
# and no instruction-set flag in mtf::engine's interface, so consumers compile with their own. A package
# built with -DMTF_NATIVE=ON carries -march=native in that interface instead: a consumer compiles Eigen code
# that shares objects with the library, so it must use the same flag (and runs on this CPU only).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(mtf_exported mtf_engine mtf_nets mtf_serving mtf_data mtf_sim mtf_rl mtf_ope mtf_loop mtf_online)
foreach(t IN LISTS mtf_exported)
  string(REPLACE "mtf_" "" short ${t})
  set_target_properties(${t} PROPERTIES EXPORT_NAME ${short})
endforeach()

install(TARGETS ${mtf_exported} EXPORT mtfTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY engine nets rl ope serving DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/mtf FILES_MATCHING PATTERN "*.hpp"
        PATTERN "*.h")
install(EXPORT mtfTargets NAMESPACE mtf:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/mtf)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/mtfConfig.cmake.in ${PROJECT_BINARY_DIR}/mtfConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/mtf)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/mtfConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/mtfConfig.cmake ${PROJECT_BINARY_DIR}/mtfConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/mtf)
