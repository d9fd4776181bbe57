# Fails when tests/ stops mirroring include/governed/.
#
#   cmake -DTESTS_DIR=<path to tests> -DINCLUDE_DIR=<path to include/governed>
#         -DOWN_FOLDERS=<folder,folder,...> -P tests_mirror.cmake
#
# The rule, as tests/CMakeLists.txt states it: tests/<folder>/ holds the tests of
# include/governed/<folder>/ and of its family header <folder>.hpp, and tests/core/<name>.cpp
# those of any other top-level header <name>.hpp. The OWN_FOLDERS (listed, and said what they
# test, in tests/CMakeLists.txt) mirror no header folder: whole calls, programs, the package.
# So a newcomer who knows a header knows where its tests are, and one who opens a test folder
# knows which headers it holds to account.
#
# Four things break the rule, each an error naming the folder or file:
#   - a folder of tests/ that mirrors no folder of include/governed/ and is not an OWN_FOLDER
#     (a module's tests put beside another module, or a folder named for a module since moved);
#   - an OWN_FOLDER that include/governed/ now has a folder of the same name for (the name
#     would mean two things);
#   - a file of tests/core/ named after no top-level header (<name>.cpp, or <name>_<aspect>.cpp
#     for a header with several files of tests), or after a family header, whose tests belong
#     in its folder's;
#   - a folder that mirrors include/governed/ and holds test files no executable builds: a
#     folder has no executable of its own unless tests/CMakeLists.txt calls
#     governed_test_folder(<folder>) or names it in an `also` list, and a file nothing compiles
#     passes every run.
#
# It reads directory listings and tests/CMakeLists.txt only: no compiler.
cmake_minimum_required(VERSION 3.16)

foreach(dir TESTS_DIR INCLUDE_DIR)
  if(NOT ${dir} OR NOT IS_DIRECTORY "${${dir}}")
    message(FATAL_ERROR "tests_mirror.cmake: pass -D${dir}=<directory>, got '${${dir}}'")
  endif()
endforeach()
get_filename_component(tests "${TESTS_DIR}" ABSOLUTE)
get_filename_component(include "${INCLUDE_DIR}" ABSOLUTE)
string(REPLACE "," ";" own "${OWN_FOLDERS}")

set(problems "")

# Every folder of tests/ mirrors a folder of include/governed/ or is an own folder, never both.
file(GLOB entries RELATIVE "${tests}" "${tests}/*")
set(folders "")
foreach(entry IN LISTS entries)
  if(NOT IS_DIRECTORY "${tests}/${entry}" OR entry MATCHES "^\\.")
    continue()
  endif()
  # An empty folder is left behind by a move in a working tree; git does not keep it.
  file(GLOB inside "${tests}/${entry}/*")
  if(inside)
    list(APPEND folders "${entry}")
  endif()
endforeach()
set(mirroring 0)
foreach(folder IN LISTS folders)
  set(mirrors FALSE)
  if(IS_DIRECTORY "${include}/${folder}")
    set(mirrors TRUE)
  endif()
  if(mirrors)
    math(EXPR mirroring "${mirroring} + 1")
  endif()
  if(folder IN_LIST own AND mirrors)
    string(APPEND problems "\n  tests/${folder}/ is named among the folders that mirror no header "
                           "folder, yet include/governed/${folder}/ exists: take it off that list")
  elseif(NOT folder IN_LIST own AND NOT mirrors)
    string(APPEND problems "\n  tests/${folder}/ mirrors no folder of include/governed/: move its "
                           "files beside the headers they test (tests/core/ for a top-level header), "
                           "or name it among the program and package folders in tests/CMakeLists.txt")
  endif()
endforeach()

# Every mirroring folder with test files is built: by an executable of its own, or into
# another's through an `also` list (read from tests/CMakeLists.txt, whatever its conditions;
# an `also` list is read from its one set(...) line).
file(STRINGS "${tests}/CMakeLists.txt" build_lines
     REGEX "^[ \t]*(governed_test_folder\\(|set\\(governed_tests_also_)")
set(built "")
foreach(line IN LISTS build_lines)
  if(line MATCHES "governed_test_folder\\(([a-z_]+)")
    list(APPEND built "${CMAKE_MATCH_1}")
  elseif(line MATCHES "set\\(governed_tests_also_[a-z_]+ ([a-z_ ]+)\\)")
    string(REPLACE " " ";" also "${CMAKE_MATCH_1}")
    list(APPEND built ${also})
  endif()
endforeach()
foreach(folder IN LISTS folders)
  file(GLOB sources "${tests}/${folder}/*.cpp")
  if(sources AND NOT folder IN_LIST own AND NOT folder IN_LIST built)
    string(APPEND problems "\n  tests/${folder}/ has test files no executable builds: add it to the "
                           "`also` list of an executable with the same link needs in "
                           "tests/CMakeLists.txt")
  endif()
endforeach()

# Every test file of tests/core/ is named after a top-level header.
file(GLOB headers RELATIVE "${include}" "${include}/*.hpp")
string(REPLACE ".hpp" "" headers "${headers}")
file(GLOB core_tests RELATIVE "${tests}/core" "${tests}/core/*.cpp")
foreach(file IN LISTS core_tests)
  string(REGEX REPLACE "\\.cpp$" "" stem "${file}")
  set(named "")
  if(stem IN_LIST headers)
    set(named "${stem}")
  else()
    foreach(header IN LISTS headers)
      if(stem MATCHES "^${header}_")
        set(named "${header}")
        break()
      endif()
    endforeach()
  endif()
  if(NOT named)
    string(APPEND problems "\n  tests/core/${file} is named after no header of include/governed/: "
                           "name it <header>.cpp (or <header>_<aspect>.cpp) for the top-level "
                           "header it tests, or move it to the folder of the headers it tests")
  elseif(IS_DIRECTORY "${include}/${named}")
    string(APPEND problems "\n  tests/core/${file} tests ${named}.hpp, the family header of "
                           "include/governed/${named}/: move it to tests/${named}/")
  endif()
endforeach()

list(LENGTH folders folder_count)
list(LENGTH core_tests core_count)
if(problems)
  message(FATAL_ERROR "tests/ no longer mirrors include/governed/:${problems}")
endif()
message(STATUS "tests/ mirrors include/governed/: ${mirroring} of its ${folder_count} folders "
               "mirror a header folder, the others are named; ${core_count} files of "
               "tests/core/ each named after its header")
