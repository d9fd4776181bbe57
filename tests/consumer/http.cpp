// A consumer of governed::http: the HTTP transport compiles and links (OpenSSL comes with the
// target), starts its I/O thread and stops it.
#include <governed/transport/http.hpp>

int main() {
  governed::transport::HttpOptions options;
  options.proxy = governed::transport::ProxySettings::none();
  governed::transport::http transport{options};
  return 0;
}
