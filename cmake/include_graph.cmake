# Fails when the folders of include/governed/ include each other in a loop.
#
#   cmake -DINCLUDE_DIR=<path to include/governed> -P include_graph.cmake
#
# Each top-level folder (with its subfolders) is one node and each top-level header is a node
# of its own; a header's `#include <governed/...>` and `#include "..."` lines are its node's
# edges. A loop means no folder can be read, tested or moved without the others of the loop,
# so one is an error that names the loop and the include line behind each of its steps.
#
# The graph has a few dozen nodes, so the search is plain lists and loops: nodes that no
# remaining node includes, or that include no remaining node, are taken out until none is
# left (no loop) or every remaining node is on a loop or between two.
#
# It also fails when core.hpp reaches nlohmann/json.hpp through any chain of includes: the light
# header reads no JSON (the dialects' readers, the configuration reader and the key-health file
# are the umbrella's), and one include of json.hpp costs every core user about 110 MB to
# compile. The error names the chain.
cmake_minimum_required(VERSION 3.16)

if(NOT INCLUDE_DIR OR NOT IS_DIRECTORY "${INCLUDE_DIR}")
  message(FATAL_ERROR "include_graph.cmake: pass -DINCLUDE_DIR=<path to include/governed>, "
                      "got '${INCLUDE_DIR}'")
endif()
get_filename_component(root "${INCLUDE_DIR}" ABSOLUTE)

# The node of a header path relative to include/governed/: its first folder, or its name.
function(node_of relative out)
  string(FIND "${relative}" "/" slash)
  if(slash EQUAL -1)
    set(${out} "${relative}" PARENT_SCOPE)
  else()
    string(SUBSTRING "${relative}" 0 ${slash} folder)
    set(${out} "${folder}/" PARENT_SCOPE)
  endif()
endfunction()

file(GLOB_RECURSE headers RELATIVE "${root}" "${root}/*.hpp" "${root}/*.h")
set(nodes "")
foreach(header IN LISTS headers)
  node_of("${header}" from)
  list(APPEND nodes "${from}")
  get_filename_component(header_dir "${root}/${header}" DIRECTORY)
  file(STRINGS "${root}/${header}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]")
  set("includes_${header}" "")
  foreach(line IN LISTS lines)
    if(line MATCHES "<nlohmann/json.hpp>")
      list(APPEND json_readers "${header}")
    endif()
    if(line MATCHES "<governed/([^>]+)>")
      set(target "${CMAKE_MATCH_1}")
    elseif(line MATCHES "\"([^\"]+)\"")
      # A quoted include is relative to the including header.
      get_filename_component(absolute "${header_dir}/${CMAKE_MATCH_1}" ABSOLUTE)
      file(RELATIVE_PATH target "${root}" "${absolute}")
      if(target MATCHES "^\\.\\./")
        continue()  # outside include/governed/
      endif()
    else()
      continue()  # another library's header
    endif()
    list(APPEND "includes_${header}" "${target}")
    node_of("${target}" to)
    if(to STREQUAL from)
      continue()
    endif()
    if(NOT DEFINED "edges_${from}" OR NOT to IN_LIST "edges_${from}")
      list(APPEND "edges_${from}" "${to}")
      set("why_${from}_${to}" "${header} includes ${target}")
    endif()
  endforeach()
endforeach()
list(REMOVE_DUPLICATES nodes)

# Every header core.hpp reaches, breadth first over the include lines, each with the header
# that first included it (`reached_from_<header>`), so a finding names its chain.
if(EXISTS "${root}/core.hpp")
  set(reached core.hpp)
  set(queue core.hpp)
  while(queue)
    list(POP_FRONT queue header)
    foreach(target IN LISTS "includes_${header}")
      if(NOT target IN_LIST reached)
        list(APPEND reached "${target}")
        list(APPEND queue "${target}")
        set("reached_from_${target}" "${header}")
      endif()
    endforeach()
  endwhile()
  foreach(header IN LISTS reached)
    if(header IN_LIST json_readers)
      set(chain "${header}")
      set(at "${header}")
      while(DEFINED "reached_from_${at}")
        set(at "${reached_from_${at}}")
        set(chain "${at} -> ${chain}")
      endwhile()
      message(FATAL_ERROR "core.hpp reaches nlohmann/json.hpp: ${chain} includes <nlohmann/json.hpp>\n"
                          "core.hpp reads no JSON: move the reading into a header of its own that the "
                          "umbrella (governed.hpp) includes, and leave the light header the plain types.")
    endif()
  endforeach()
  list(LENGTH reached reached_count)
  message(STATUS "core.hpp reaches ${reached_count} headers, none of them includes nlohmann/json.hpp")
endif()

# Take out every node that is on no loop: one no remaining node includes, or one that includes
# no remaining node. What remains lies on a loop, or between two.
set(remaining ${nodes})
set(changed TRUE)
while(changed)
  set(changed FALSE)
  foreach(node IN LISTS remaining)
    set(includes_remaining FALSE)
    foreach(to IN LISTS "edges_${node}")
      if(to IN_LIST remaining)
        set(includes_remaining TRUE)
        break()
      endif()
    endforeach()
    set(included_by_remaining FALSE)
    foreach(from IN LISTS remaining)
      if(node IN_LIST "edges_${from}")
        set(included_by_remaining TRUE)
        break()
      endif()
    endforeach()
    if(NOT includes_remaining OR NOT included_by_remaining)
      list(REMOVE_ITEM remaining "${node}")
      set(changed TRUE)
    endif()
  endforeach()
endwhile()

list(LENGTH nodes node_count)
if(NOT remaining)
  message(STATUS "include graph of ${root}: ${node_count} nodes, no loop")
  return()
endif()

# Every remaining node includes another remaining one: follow those edges from the first until
# a node comes round again; the walk from its first visit is a loop.
list(GET remaining 0 node)
set(walk "")
while(NOT node IN_LIST walk)
  list(APPEND walk "${node}")
  foreach(to IN LISTS "edges_${node}")
    if(to IN_LIST remaining)
      set(node "${to}")
      break()
    endif()
  endforeach()
endwhile()
list(FIND walk "${node}" first)
list(LENGTH walk walk_length)
list(SUBLIST walk ${first} -1 loop)
list(APPEND loop "${node}")

list(JOIN loop " -> " named)
set(steps "")
list(LENGTH loop loop_length)
math(EXPR last "${loop_length} - 2")
foreach(i RANGE 0 ${last})
  math(EXPR next "${i} + 1")
  list(GET loop ${i} from)
  list(GET loop ${next} to)
  string(APPEND steps "\n  ${why_${from}_${to}}")
endforeach()
list(JOIN remaining ", " tangled)
message(FATAL_ERROR "include loop between the folders of ${root}: ${named}${steps}\n"
                    "(nodes on a loop or between two: ${tangled})\n"
                    "Move the piece that closes the loop to the folder it belongs to, or into a "
                    "light header of its own.")
