// Rung: scalar. The port of baseline python_tuned, and the reference every
// later rung is checked against. Changes from naive:
// - linear memory: one row of H and one of E (Gotoh), not three full matrices,
//   so the working set of a 1,000-residue query is 8 KB and lives in L1;
// - a query profile: for each of the kAlphabetSize subject letters, the scores against
//   every query position as int8, so the inner loop reads one contiguous row
//   instead of hashing two letters;
// - encoded residues (small integers) and plain comparisons.
// The recurrence itself is in scalar_recurrence.cpp, because every SIMD rung
// also runs it, on the rare subjects whose score outgrows 16-bit lanes. It is
// kept scalar on purpose, so that the SIMD rungs show what explicit
// vectorisation buys.
#include "scalar_recurrence.hpp"
#include "stage.hpp"

namespace swl::stages {

namespace {

class ScalarStage final : public Stage {
 public:
  std::string_view name() const override { return "scalar"; }
  std::string_view summary() const override { return "python_tuned compiled: two rows, query profile, int8 scores"; }
  bool is_reference() const override { return true; }

 protected:
  SearchResult run(std::span<const std::uint8_t> query, const Database& db, const Scoring& scoring,
                   const RunOptions& options) const override {
    const ScalarAligner aligner(query, scoring);
    ScalarAligner::Rows rows;
    SearchResult result;
    result.scores.reserve(db.size());
    for (std::size_t k = 0; k < db.size() && !options.cancelled(); ++k) {
      result.scores.push_back(aligner.score(db.sequence(k), rows, options.cancel));
    }
    return result;
  }
};

}  // namespace

const Stage& scalar() {
  static const ScalarStage stage;
  return stage;
}

}  // namespace swl::stages
