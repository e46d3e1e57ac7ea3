# The harness's agent and controller (included from harness/CMakeLists.txt).
add_library(omxharness STATIC
  common/json_link.cpp
  agent/agent.cpp
  controller/suite.cpp
  controller/controller.cpp
)
target_include_directories(omxharness PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(omxharness PUBLIC omxcommon spdlog::spdlog fmt::fmt Threads::Threads)

add_executable(omx-agent agent/main.cpp)
target_link_libraries(omx-agent PRIVATE omxharness CLI11::CLI11)
add_executable(omx-stress controller/main.cpp)
target_link_libraries(omx-stress PRIVATE omxharness omxreport CLI11::CLI11)
install(TARGETS omx-agent omx-stress RUNTIME DESTINATION bin)
install(DIRECTORY suites/ DESTINATION share/openmosix/suites FILES_MATCHING PATTERN "*.json")

add_executable(harness_test tests/suite_test.cpp tests/agent_test.cpp)
target_link_libraries(harness_test PRIVATE omxharness GTest::gtest_main)
gtest_discover_tests(harness_test)
