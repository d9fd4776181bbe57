#pragma once
/// @file
/// Limits and budgets shared by several processes through Redis: `redis::backend(url)` (one
/// server) or `redis::cluster_backend(seed_urls)` (Redis Cluster) for `StateConfig::shared`,
/// and the clients they run on. Link `governed::redis` (hiredis, OpenSSL).

#include <governed/redis/backend.hpp>
#include <governed/redis/cache.hpp>
#include <governed/redis/client.hpp>
#include <governed/redis/cluster.hpp>
#include <governed/redis/connection.hpp>
#include <governed/redis/lease.hpp>
#include <governed/redis/limit_scripts.hpp>
#include <governed/redis/limits.hpp>
#include <governed/redis/reply.hpp>
#include <governed/redis/spend.hpp>
#include <governed/redis/stats.hpp>
#include <governed/redis/tasks.hpp>
#include <governed/redis/url.hpp>
