// One assertion for "the same alignment": score, both ranges and every column.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "alignment.hpp"

namespace swl::testing_support {

inline void expect_same(const Alignment& a, const Alignment& b, const std::string& label) {
  EXPECT_EQ(a.score, b.score) << label;
  EXPECT_EQ(a.query_begin, b.query_begin) << label;
  EXPECT_EQ(a.query_end, b.query_end) << label;
  EXPECT_EQ(a.subject_begin, b.subject_begin) << label;
  EXPECT_EQ(a.subject_end, b.subject_end) << label;
  EXPECT_EQ(a.operations, b.operations) << label;
}

}  // namespace swl::testing_support
