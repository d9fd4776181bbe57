#pragma once
// A directory of its own under the system's temporary directory for the file/ tests, removed
// with everything in it at the end.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include <stdlib.h>

namespace governed_test {

struct FileScratch {
  FileScratch() {
    std::string pattern = (std::filesystem::temp_directory_path() / "governed-file-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  FileScratch(const FileScratch&) = delete;
  FileScratch& operator=(const FileScratch&) = delete;
  ~FileScratch() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }

  /// `name` in the directory, holding `text`.
  std::filesystem::path write(const std::string& name, const std::string& text) const {
    const auto p = path / name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }

  std::filesystem::path path;
};

}  // namespace governed_test
