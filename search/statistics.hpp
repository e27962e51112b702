// Bit scores and E-values as blastp (BLAST+ 2.12, -comp_based_stats 0)
// reports them for a raw score, so that a BLAST user reads ours the same way.
//
// The parameters are NCBI's published tables (blast_stat.c) for the built-in
// matrices at the gap costs BLAST lists for each; any other matrix (a matrix
// file) or gap cost has none, and the statistics are then unknown (nullopt).
// BLAST's gap convention is ours: a gap of length k costs open + k * extend.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace swl {

// One row of NCBI's table for a matrix and gap costs, plus what Spouge's
// finite-size correction derives from it and from the matrix's ungapped row.
struct KarlinAltschul {
  int gap_open = 0;
  int gap_extend = 0;
  // Gapped Karlin-Altschul parameters: E ~ K m n exp(-lambda S), and the
  // relative entropy H (nats per aligned pair).
  double lambda = 0.0;
  double K = 0.0;
  double H = 0.0;
  // Altschul et al. (2001) edge-effect parameters: the mean length of an
  // alignment of score S is alpha S + beta. Spouge's correction uses alpha
  // as its "a".
  double alpha = 0.0;
  double beta = 0.0;
  // Spouge's parameters: C (the table's p-value prefactor), alpha_v (the
  // length variance grows as alpha_v S + beta_v) and sigma (the covariance
  // of the two lengths grows as sigma S + tau).
  double C = 0.0;
  double alpha_v = 0.0;
  double sigma = 0.0;
  // Derived as BLAST derives them, from G = gap_open + gap_extend and the
  // ungapped row's alpha and alpha_v: the intercepts b (mean), beta_v
  // (variance) and tau (covariance) of the length corrections.
  double b = 0.0;
  double beta_v = 0.0;
  double tau = 0.0;
};

// The published parameters for a built-in matrix (case-insensitive name:
// BLOSUM45, BLOSUM50, BLOSUM62, BLOSUM80, PAM250) at these gap costs, or
// nullopt: a matrix file, another matrix or gap costs NCBI lists no
// parameters for.
std::optional<KarlinAltschul> karlin_altschul(std::string_view matrix_name, int gap_open, int gap_extend);

// The gap costs (open, extend) that have parameters for this matrix, in
// NCBI's order; empty for a matrix without any.
std::vector<std::pair<int, int>> gap_costs_with_statistics(std::string_view matrix_name);

// (lambda S - ln K) / ln 2, with the table's lambda and K.
double bit_score(const KarlinAltschul& parameters, int score);

// What a blastp user may set in place of the database's own sizes (0: not
// set). db_length is -dbsize: the database's residues, by which a pair's
// expectation is scaled. search_space is -searchsp: blastp then gives the
// classic E-value K * search_space * exp(-lambda S), without the finite-size
// correction (checked against blastp 2.12: both together give -searchsp's).
struct SizeOverrides {
  std::uint64_t db_length = 0;
  std::uint64_t search_space = 0;
};

// The E-value blastp reports for a hit of this raw score between a query and
// one database sequence: Spouge's finite-size corrected expectation for the
// pair (query_length x subject_length), scaled to the whole database by
// db_residues / subject_length. db_residues is every residue of the whole
// database (even when it is searched in chunks); db_sequences is its count of
// sequences, checked for consistency (blastp's Spouge E-value does not use
// it). Throws InputError when the sizes cannot belong to one database: a
// subject longer than the database, or residues without sequences. An empty
// subject or database (whose only score is 0) counts as one residue long, as
// the correction divides by the subject's length.
double evalue(const KarlinAltschul& parameters, int score, std::size_t query_length, std::size_t subject_length,
              std::size_t db_residues, std::size_t db_sequences, const SizeOverrides& overrides = {});

// bit_score() and evalue() for every subject of one query's search, the same
// numbers to the last bit. Most of an E-value depends on the score alone (the
// alignment length's distribution, the query's edge term, exp(-lambda S)),
// and a search's scores repeat: most are small. Those terms are worked out
// once per distinct score, leaving the subject's own edge term per subject.
// The sizes are checked once, as evalue() checks them.
class QueryStatistics {
 public:
  QueryStatistics(const KarlinAltschul& parameters, std::size_t query_length, std::size_t db_residues,
                  std::size_t db_sequences, const SizeOverrides& overrides = {});
  double bit_score(int score);
  double evalue(int score, std::size_t subject_length);

 private:
  // What depends on the score (and the query) alone.
  struct ScoreTerms {
    double bits;
    double mean;
    double variance;
    double covariance;
    double query_room;
    double query_probability;
    double decay;  // exp(-lambda S)
  };
  friend double evalue(const KarlinAltschul& parameters, int score, std::size_t query_length,
                       std::size_t subject_length, std::size_t db_residues, std::size_t db_sequences,
                       const SizeOverrides& overrides);
  ScoreTerms compute(int score) const;
  // compute(score), kept for the next time the score comes; valid until the next call.
  const ScoreTerms& terms(int score);
  // The E-value of a subject of this length, from its score's terms.
  double expectation(const ScoreTerms& terms, std::size_t subject_length) const;

  KarlinAltschul parameters_;
  double query_length_;
  std::size_t db_residues_;
  double database_;
  double search_space_;  // 0: the finite-size corrected expectation per pair
  std::vector<ScoreTerms> by_score_;  // by score, grown up to the highest met (at most kCachedScores)
  std::vector<bool> known_;
  ScoreTerms other_{};  // a score outside the cache, worked out each time
};

}  // namespace swl
