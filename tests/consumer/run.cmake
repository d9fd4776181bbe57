# Builds tests/consumer against governed twice: as a subdirectory, and as an installed package.
file(REMOVE_RECURSE ${WORK_DIR})

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}")
  endif()
endfunction()

set(consumer ${SOURCE_DIR}/tests/consumer)
# No optimisation: the test is about finding and linking, and Beast compiles much faster so.
set(common -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_BUILD_TYPE=)

# 1. add_subdirectory
run(${CMAKE_COMMAND} -S ${consumer} -B ${WORK_DIR}/sub ${common} -DMODE=subdirectory
    -DGOVERNED_SOURCE_DIR=${SOURCE_DIR})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/sub)
run(${WORK_DIR}/sub/consumer)

# 2. install, then find_package
run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/lib ${common} -DGOVERNED_BUILD_TESTS=OFF
    -DGOVERNED_BUILD_BENCH=OFF -DGOVERNED_BUILD_EXAMPLES=OFF -DGOVERNED_INSTALL=ON
    -DCMAKE_INSTALL_PREFIX=${WORK_DIR}/prefix)
run(${CMAKE_COMMAND} --install ${WORK_DIR}/lib)
run(${CMAKE_COMMAND} -S ${consumer} -B ${WORK_DIR}/pkg ${common} -DMODE=package
    -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/pkg)
run(${WORK_DIR}/pkg/consumer)
run(${WORK_DIR}/pkg/consumer-http)
message(STATUS "consumer built and ran through add_subdirectory and find_package")
