#include "verify.hpp"

#include <algorithm>
#include <sstream>

#include "registry.hpp"
#include "synthetic.hpp"

namespace swl {

namespace {

// Every byte a FASTA sequence may hold: the 24 letters, lowercase, and the
// letters U, O and J, which score by the stand-in rule.
constexpr std::string_view kCorpusLetters = "ARNDCQEGHILKMFPSTWYVBZX*arndcqeghilkmfpstwyvbzxUOJuoj";

std::string random_any_residues(SplitMix64& rng, std::size_t length) {
  std::string text(length, 'A');
  for (auto& c : text) c = kCorpusLetters[rng.below(kCorpusLetters.size())];
  return text;
}

struct Penalties {
  int open;
  int extend;
};

Penalties random_penalties(SplitMix64& rng) {
  switch (rng.below(8)) {
    case 0: return {0, 1};
    case 1: return {rng.between(1, 20), 0};
    case 2: return {kMaxGapPenalty, kMaxGapPenalty};
    case 3: return {11, 1};
    default: {
      const int extend = rng.between(0, 4);
      return {rng.between(extend == 0 ? 1 : 0, 16), extend};
    }
  }
}

std::string shorten(const std::string& text, std::size_t keep = 60) {
  return text.size() <= keep ? text : text.substr(0, keep) + "...(" + std::to_string(text.size()) + " residues)";
}

}  // namespace

std::vector<VerifyCase> build_corpus(const CorpusOptions& options) {
  SplitMix64 rng(options.seed);
  const auto matrices = ScoreMatrix::builtin_names();
  // Penalties first, then the matrix: the order the corpus has always drawn them in.
  const auto random_scoring = [&](VerifyCase& c) {
    const auto penalties = random_penalties(rng);
    c.matrix = matrices[rng.below(matrices.size())];
    c.gap_open = penalties.open;
    c.gap_extend = penalties.extend;
  };
  std::vector<VerifyCase> corpus;
  // `rounds` cases of random scoring, each a query and `subjects` subjects
  // drawn from it, labelled "<label>, round <n>".
  const auto add_rounds = [&](const std::string& label, int rounds, int subjects, const auto& make_query,
                              const auto& make_subject) {
    for (int round = 0; round < rounds; ++round) {
      VerifyCase c;
      random_scoring(c);
      c.query = make_query();
      for (int k = 0; k < subjects; ++k) c.subjects.push_back(make_subject(c.query, k));
      c.label = label + ", round " + std::to_string(round);
      corpus.push_back(std::move(c));
    }
  };

  // Lengths around every lane and segment boundary the SIMD rungs have
  // (16, 32, 64 lanes), plus the empty and one-residue cases.
  const std::vector<std::size_t> lengths = {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65,
                                            127, 128, 129, 255, 256, 257, 1000};
  for (const std::size_t query_length : lengths) {
    VerifyCase c;
    random_scoring(c);
    c.query = random_any_residues(rng, query_length);
    for (const std::size_t subject_length : lengths) c.subjects.push_back(random_any_residues(rng, subject_length));
    c.label = "random residues, query length " + std::to_string(query_length) + " against every grid length";
    corpus.push_back(std::move(c));
  }
  {
    VerifyCase c;
    c.query = random_protein(rng, 5000);
    for (const std::size_t subject_length : {1, 64, 300, 1000}) c.subjects.push_back(random_protein(rng, subject_length));
    c.subjects.push_back(mutate(rng, c.query.substr(1000, 2000), 0.3, 0.05));
    c.label = "5000-residue query";
    corpus.push_back(std::move(c));
  }
  {
    VerifyCase c;
    c.query = random_protein(rng, 300);
    c.subjects.push_back(random_protein(rng, 5000));
    c.subjects.push_back(random_protein(rng, 300) + c.query + random_protein(rng, 4000));
    c.label = "5000-residue subjects";
    corpus.push_back(std::move(c));
  }
  // Homologs at several distances and penalties: the gap paths (E and F,
  // opening and extending) carry the score.
  add_rounds("homologs", 12, 24, [&] { return random_protein(rng, rng.between(20, 400)); },
             [&](const std::string& query, int k) { return mutate(rng, query, 0.05 + 0.03 * k, 0.01 * (k % 8)); });
  // Identical sequences: scores that overflow 8 bits (> 255) and 16 bits
  // (> 32767: 3,000 W against 3,000 W scores 33,000 with BLOSUM62).
  {
    VerifyCase c;
    c.query = random_protein(rng, 1500);
    c.subjects = {c.query, c.query.substr(0, 40), c.query.substr(200, 700), random_protein(rng, 1500)};
    c.label = "identical sequences past the 8-bit limit";
    corpus.push_back(std::move(c));
  }
  {
    VerifyCase c;
    c.query = std::string(3000, 'W');
    c.subjects = {std::string(3000, 'W'), std::string(2990, 'W'), std::string(100, 'W'), std::string(3000, 'A')};
    c.label = "poly-W: past the 16-bit limit";
    corpus.push_back(std::move(c));
  }
  // Every subject saturates the 8-bit pass.
  {
    VerifyCase c;
    c.query = random_protein(rng, 180);
    for (int k = 0; k < 70; ++k) c.subjects.push_back(mutate(rng, c.query, 0.02, 0.0));
    c.label = "every subject saturates 8 bits";
    corpus.push_back(std::move(c));
  }
  // Poly-residue and low-complexity sequences.
  {
    VerifyCase c;
    c.query = std::string(100, 'A') + std::string(50, 'C') + std::string(20, '*');
    c.subjects = {std::string(300, 'A'), std::string(64, 'C'), std::string(33, '*'), std::string(500, 'X'),
                  std::string(77, 'G'), "ACACACACACACACACACACAC*", std::string(129, 'w')};
    c.label = "poly-residue";
    corpus.push_back(std::move(c));
  }
  if (!options.real_sequences.empty()) {
    const auto& real = options.real_sequences;
    for (int round = 0; round < 3; ++round) {
      VerifyCase c;
      c.query = real[rng.below(real.size())];
      for (int k = 0; k < 60; ++k) c.subjects.push_back(real[rng.below(real.size())]);
      c.subjects.push_back(c.query);
      c.label = "real sequences, round " + std::to_string(round);
      corpus.push_back(std::move(c));
    }
  }
  if (options.large) {
    {
      VerifyCase c;
      c.query = random_protein(rng, 35000);
      c.subjects = {c.query, mutate(rng, c.query, 0.1, 0.01)};
      c.label = "titin-size self alignment (35,000 residues)";
      corpus.push_back(std::move(c));
    }
    {
      VerifyCase c;
      c.query = std::string(8000, 'W');
      c.subjects = {std::string(8000, 'W')};
      c.label = "poly-W 8000: score 88,000";
      corpus.push_back(std::move(c));
    }
    add_rounds("large sweep", 40, 50, [&] { return random_any_residues(rng, rng.between(1, 3000)); },
               [&](const std::string& query, int) {
                 return rng.below(3) == 0 ? mutate(rng, query, 0.2, 0.03)
                                          : random_any_residues(rng, rng.between(0, 2000));
               });
  }
  return corpus;
}

std::string Mismatch::describe() const {
  std::ostringstream out;
  out << "case '" << case_label << "', subject #" << subject_index << ": expected " << expected << ", got "
      << actual << " (" << matrix << " " << gap_open << "/" << gap_extend << "; query " << shorten(query)
      << "; subject " << shorten(subject) << ")";
  return out.str();
}

std::string VerifyReport::describe() const {
  std::ostringstream out;
  out << stage << " [" << kernel << ", " << threads << " thread" << (threads == 1 ? "" : "s") << "]: ";
  if (passed) {
    out << "PASS (" << pairs << " pairs in " << cases << " cases against " << reference;
    if (skipped_pairs) out << ", " << skipped_pairs << " pairs over the size limit skipped";
    out << ")";
  } else if (!error.empty()) {
    out << "FAILED: " << error;
  } else if (first_mismatch) {
    out << "FAILED against " << reference << ": " << first_mismatch->describe();
  }
  return out.str();
}

VerifyReport verify_scores(std::string_view name, const ScoreFunction& score, const Stage& reference,
                           const std::vector<VerifyCase>& corpus, double max_pair_cells, const CancelFlag* cancel) {
  const double reference_limit = reference.max_pair_cells();
  const double limit = max_pair_cells > 0 && reference_limit > 0 ? std::min(max_pair_cells, reference_limit)
                                                                   : std::max(max_pair_cells, reference_limit);
  VerifyReport report;
  report.stage = std::string(name);
  report.reference = std::string(reference.name());
  try {
    for (const auto& c : corpus) {
      if (cancel_requested(cancel)) throw Cancelled();
      std::vector<std::string> kept;
      std::vector<std::size_t> kept_index;
      for (std::size_t k = 0; k < c.subjects.size(); ++k) {
        const double cells = static_cast<double>(c.query.size()) * static_cast<double>(c.subjects[k].size());
        if (limit > 0 && cells > limit) {
          ++report.skipped_pairs;
          continue;
        }
        kept.push_back(c.subjects[k]);
        kept_index.push_back(k);
        report.cells += cells;
      }
      if (kept.empty() && !c.subjects.empty()) continue;  // every pair skipped: nothing to check
      // Reference scores are kept with the case, per reference and limit, so
      // that checking many stages on one corpus runs the reference once.
      const std::string cache_key = report.reference + "/" + std::to_string(limit);
      auto& expected = c.expected[cache_key];
      if (expected.empty() && !kept.empty()) {
        const Scoring scoring = make_scoring(c.matrix, c.gap_open, c.gap_extend);
        expected = reference.search(encode(c.query, "query"), Database::from_sequences(kept), scoring, {1, "", cancel})
                       .scores;
      }
      const std::vector<std::int32_t> actual = score(c, kept);
      ++report.cases;
      if (actual.size() != kept.size()) {
        report.error = "case '" + c.label + "': returned " + std::to_string(actual.size()) + " scores for " +
                       std::to_string(kept.size()) + " subjects";
        return report;
      }
      for (std::size_t k = 0; k < kept.size(); ++k) {
        ++report.pairs;
        if (actual[k] != expected[k]) {
          report.first_mismatch = Mismatch{c.label, kept_index[k], c.query, kept[k], c.matrix, c.gap_open,
                                           c.gap_extend, expected[k], actual[k]};
          return report;
        }
      }
    }
  } catch (const Cancelled&) {
    throw;  // not the stage's failure: nobody waits for the report
  } catch (const std::exception& e) {
    report.error = e.what();
    return report;
  }
  report.passed = true;
  return report;
}

VerifyReport verify_stage(const Stage& stage, const std::vector<VerifyCase>& corpus, const SearchOptions& options,
                          const Stage* reference) {
  std::string kernel;
  int threads = resolve_threads(options.threads);
  const auto run = [&](const VerifyCase& c, const std::vector<std::string>& subjects) {
    const Scoring scoring = make_scoring(c.matrix, c.gap_open, c.gap_extend);
    const SearchResult result =
        stage.search(encode(c.query, "query"), Database::from_sequences(subjects), scoring, options);
    kernel = result.kernel;
    threads = result.threads;
    return result.scores;
  };
  VerifyReport report = verify_scores(stage.name(), run, reference != nullptr ? *reference : reference_for(stage),
                                      corpus, stage.max_pair_cells(), options.cancel);
  report.kernel = kernel;
  report.threads = threads;
  return report;
}

}  // namespace swl
