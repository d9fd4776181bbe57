#pragma once
/// @file
/// Limits shared by several processes through Redis: `redis::backend(url)` for
/// `StateConfig::shared`, and the client it runs on. Link `governed::redis` (hiredis, OpenSSL).

#include <governed/redis/client.hpp>
#include <governed/redis/cluster.hpp>
#include <governed/redis/connection.hpp>
#include <governed/redis/limits.hpp>
#include <governed/redis/reply.hpp>
#include <governed/redis/url.hpp>
