#pragma once
// The demo's workload: the original application's users, each running agent tasks one
// after another, every task a chain of LLM calls that each waits for the previous answer.
//
// The kinds and their shapes come from that application: a scraper reads 18–30 pages of a
// site and summarises each (long prompts), a job hunter searches a job board (the search is
// the same for every user looking for the same role, so it is cacheable) and reads the hits,
// a worker runs a handful of short steps, and a cover-letter writer drafts and revises a
// letter on the stronger model. The workload is drawn from a seed, so the three clients
// of a run, and two runs with the same flags, face exactly the same calls.

#include <governed/budget/routing.hpp>
#include <governed/random.hpp>

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace demo {

struct CallSpec {
  std::string model;            ///< where the task's route sends it
  std::uint32_t prompt_tokens;  ///< the prompt's size, roughly, in tokens
  std::uint32_t max_tokens;
  bool cacheable = false;       ///< idempotent: the same question asked by several users
  std::string topic;            ///< what makes the prompt this prompt (identical for equal calls)
};

struct TaskSpec {
  std::string kind;  ///< scraper, worker, job_hunter, cover_letter_writer
  std::string id;    ///< "u3-t1": the task instance, for per-task budgets
  std::vector<CallSpec> calls;
};

struct UserSpec {
  std::vector<TaskSpec> tasks;
};

struct Workload {
  std::vector<UserSpec> users;

  std::size_t tasks() const {
    std::size_t n = 0;
    for (const auto& u : users) n += u.tasks.size();
    return n;
  }
  std::size_t calls() const {
    std::size_t n = 0;
    for (const auto& u : users)
      for (const auto& t : u.tasks) n += t.calls.size();
    return n;
  }
};

/// `users` users, each with one task of every kind in an order of its own.
inline Workload make_workload(std::size_t users, std::uint64_t seed) {
  const auto routing = governed::ModelRouting::original_application();
  auto model_of = [&](const std::string& kind) { return routing.chain(kind).front().model; };
  governed::Random rng{seed};
  auto between = [&](std::uint32_t lo, std::uint32_t hi) {
    return lo + static_cast<std::uint32_t>(rng() % (hi - lo + 1));
  };
  static constexpr std::array<const char*, 3> roles = {"backend engineer", "data analyst", "product designer"};

  Workload w;
  for (std::size_t u = 0; u < users; ++u) {
    std::vector<std::string> kinds = {"scraper", "job_hunter", "worker", "cover_letter_writer"};
    for (std::size_t i = kinds.size() - 1; i > 0; --i) std::swap(kinds[i], kinds[rng() % (i + 1)]);
    UserSpec user;
    for (std::size_t t = 0; t < kinds.size(); ++t) {
      TaskSpec task{kinds[t], fmt::format("u{}-t{}", u, t), {}};
      const auto model = model_of(task.kind);
      auto add = [&](std::uint32_t prompt, std::uint32_t max_out, std::string topic, bool cacheable = false) {
        task.calls.push_back({model, prompt, max_out, cacheable, std::move(topic)});
      };
      if (task.kind == "scraper") {
        const auto pages = between(18, 30);
        for (std::uint32_t p = 0; p < pages; ++p)
          add(between(4000, 7000), 300, fmt::format("{} page {} of site {}", task.id, p, u));
      } else if (task.kind == "job_hunter") {
        const auto role = roles[rng() % roles.size()];
        add(1500, 300, fmt::format("search the job board for {} openings", role), true);
        const auto hits = between(5, 9);
        for (std::uint32_t h = 0; h < hits; ++h)
          add(between(3000, 5000), 300, fmt::format("{} read posting {} for {}", task.id, h, role));
      } else if (task.kind == "worker") {
        const auto steps = between(5, 8);
        for (std::uint32_t s = 0; s < steps; ++s)
          add(between(2000, 4000), 400, fmt::format("{} step {}", task.id, s));
      } else {
        const auto drafts = between(3, 5);
        for (std::uint32_t d = 0; d < drafts; ++d)
          add(between(5000, 7000), 800, fmt::format("{} draft {}", task.id, d));
      }
      user.tasks.push_back(std::move(task));
    }
    w.users.push_back(std::move(user));
  }
  return w;
}

/// A prompt of about `tokens` tokens on `topic`: the topic, then filler text. Equal
/// arguments give equal prompts (what the response cache keys on).
inline std::string prompt_text(const std::string& topic, std::uint32_t tokens) {
  static constexpr std::string_view filler =
      "The quick brown fox jumps over the lazy dog while the scraper reads another page. ";
  std::string s = topic;
  s += ": ";
  const std::size_t letters = static_cast<std::size_t>(tokens) * 5;  // ~5 letters a token
  while (s.size() < letters) s += filler;
  s.resize(letters);
  return s;
}

}  // namespace demo
