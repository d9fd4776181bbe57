#pragma once
/// @file
/// Budgets: per-task call and token budgets, USD budgets per day and month, and per-task
/// model routing.

#include <governed/budget/routing.hpp>
#include <governed/budget/spend.hpp>
#include <governed/budget/task.hpp>
