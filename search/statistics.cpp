#include "statistics.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <span>
#include <string>
#include <vector>

#include "errors.hpp"

namespace swl {
namespace {

// One row of NCBI's tables (blast_stat.c, the <matrix>_values arrays), less
// the decline-to-align column, which blastp ignores.
struct TableRow {
  int gap_open;
  int gap_extend;
  double lambda, K, H, alpha, beta, C, alpha_v, sigma;
};

// The ungapped row (NCBI writes its gap costs as INT2_MAX) comes first; it
// enters the gapped rows' Spouge intercepts.
constexpr int kUngapped = 32767;

// Values transcribed exactly from NCBI BLAST+'s blast_stat.c; the same
// figures blastp prints in its report footer (lambda, K, H) for each cost.
constexpr std::array kBlosum45 = {
    TableRow{kUngapped, kUngapped, 0.2291, 0.0924, 0.2514, 0.9113, -5.7, 0.641318, 9.611060, 9.611060},
    TableRow{13, 3, 0.207, 0.049, 0.14, 1.5, -22, 0.671128, 35.855900, 35.963900},
    TableRow{12, 3, 0.199, 0.039, 0.11, 1.8, -34, 0.691530, 45.693600, 45.851700},
    TableRow{11, 3, 0.190, 0.031, 0.095, 2.0, -38, 0.691181, 62.874100, 63.103700},
    TableRow{10, 3, 0.179, 0.023, 0.075, 2.4, -51, 0.710529, 88.286800, 88.639100},
    TableRow{16, 2, 0.210, 0.051, 0.14, 1.5, -24, 0.666680, 36.279800, 36.452400},
    TableRow{15, 2, 0.203, 0.041, 0.12, 1.7, -31, 0.673871, 44.825700, 45.060400},
    TableRow{14, 2, 0.195, 0.032, 0.10, 1.9, -36, 0.685753, 60.736200, 61.102300},
    TableRow{13, 2, 0.185, 0.024, 0.084, 2.2, -45, 0.698480, 85.148100, 85.689400},
    TableRow{12, 2, 0.171, 0.016, 0.061, 2.8, -65, 0.713429, 127.758000, 128.582000},
    TableRow{19, 1, 0.205, 0.040, 0.11, 1.9, -43, 0.672302, 53.071400, 53.828200},
    TableRow{18, 1, 0.198, 0.032, 0.10, 2.0, -43, 0.682580, 72.342400, 73.403900},
    TableRow{17, 1, 0.189, 0.024, 0.079, 2.4, -57, 0.695035, 103.055000, 104.721000},
    TableRow{16, 1, 0.176, 0.016, 0.063, 2.8, -67, 0.712966, 170.100000, 173.003000},
};

constexpr std::array kBlosum50 = {
    TableRow{kUngapped, kUngapped, 0.2318, 0.112, 0.3362, 0.6895, -4.0, 0.609639, 5.388310, 5.388310},
    TableRow{13, 3, 0.212, 0.063, 0.19, 1.1, -16, 0.639287, 18.113800, 18.202800},
    TableRow{12, 3, 0.206, 0.055, 0.17, 1.2, -18, 0.644715, 22.654600, 22.777700},
    TableRow{11, 3, 0.197, 0.042, 0.14, 1.4, -25, 0.656327, 29.861100, 30.045700},
    TableRow{10, 3, 0.186, 0.031, 0.11, 1.7, -34, 0.671150, 42.393800, 42.674000},
    TableRow{9, 3, 0.172, 0.022, 0.082, 2.1, -48, 0.694326, 66.069600, 66.516400},
    TableRow{16, 2, 0.215, 0.066, 0.20, 1.05, -15, 0.633899, 17.951800, 18.092100},
    TableRow{15, 2, 0.210, 0.058, 0.17, 1.2, -20, 0.641985, 21.940100, 22.141800},
    TableRow{14, 2, 0.202, 0.045, 0.14, 1.4, -27, 0.650682, 28.681200, 28.961900},
    TableRow{13, 2, 0.193, 0.035, 0.12, 1.6, -32, 0.660984, 42.059500, 42.471600},
    TableRow{12, 2, 0.181, 0.025, 0.095, 1.9, -41, 0.678090, 63.747600, 64.397300},
    TableRow{19, 1, 0.212, 0.057, 0.18, 1.2, -21, 0.635714, 26.311200, 26.923300},
    TableRow{18, 1, 0.207, 0.050, 0.15, 1.4, -28, 0.643523, 34.903700, 35.734800},
    TableRow{17, 1, 0.198, 0.037, 0.12, 1.6, -33, 0.654504, 48.895800, 50.148600},
    TableRow{16, 1, 0.186, 0.025, 0.10, 1.9, -42, 0.667750, 76.469100, 78.443000},
    TableRow{15, 1, 0.171, 0.015, 0.063, 2.7, -76, 0.694575, 140.053000, 144.160000},
};

constexpr std::array kBlosum62 = {
    TableRow{kUngapped, kUngapped, 0.3176, 0.134, 0.4012, 0.7916, -3.2, 0.623757, 4.964660, 4.964660},
    TableRow{11, 2, 0.297, 0.082, 0.27, 1.1, -10, 0.641766, 12.673800, 12.757600},
    TableRow{10, 2, 0.291, 0.075, 0.23, 1.3, -15, 0.649362, 16.474000, 16.602600},
    TableRow{9, 2, 0.279, 0.058, 0.19, 1.5, -19, 0.659245, 22.751900, 22.950000},
    TableRow{8, 2, 0.264, 0.045, 0.15, 1.8, -26, 0.672692, 35.483800, 35.821300},
    TableRow{7, 2, 0.239, 0.027, 0.10, 2.5, -46, 0.702056, 61.238300, 61.886000},
    TableRow{6, 2, 0.201, 0.012, 0.061, 3.3, -58, 0.740802, 140.417000, 141.882000},
    TableRow{13, 1, 0.292, 0.071, 0.23, 1.2, -11, 0.647715, 19.506300, 19.893100},
    TableRow{12, 1, 0.283, 0.059, 0.19, 1.5, -19, 0.656391, 27.856200, 28.469900},
    TableRow{11, 1, 0.267, 0.041, 0.14, 1.9, -30, 0.669720, 42.602800, 43.636200},
    TableRow{10, 1, 0.243, 0.024, 0.10, 2.5, -44, 0.693267, 83.178700, 85.065600},
    TableRow{9, 1, 0.206, 0.010, 0.052, 4.0, -87, 0.731887, 210.333000, 214.842000},
};

constexpr std::array kBlosum80 = {
    TableRow{kUngapped, kUngapped, 0.3430, 0.177, 0.6568, 0.5222, -1.6, 0.564057, 1.918130, 1.918130},
    TableRow{25, 2, 0.342, 0.17, 0.66, 0.52, -1.6, 0.563956, 1.731000, 1.731300},
    TableRow{13, 2, 0.336, 0.15, 0.57, 0.59, -3, 0.570979, 2.673470, 2.692300},
    TableRow{9, 2, 0.319, 0.11, 0.42, 0.76, -6, 0.587837, 5.576090, 5.667860},
    TableRow{8, 2, 0.308, 0.090, 0.35, 0.89, -9, 0.597556, 7.536950, 7.686230},
    TableRow{7, 2, 0.293, 0.070, 0.27, 1.1, -14, 0.615254, 11.586600, 11.840400},
    TableRow{6, 2, 0.268, 0.045, 0.19, 1.4, -19, 0.644054, 19.958100, 20.441200},
    TableRow{11, 1, 0.314, 0.095, 0.35, 0.90, -9, 0.590702, 8.808610, 9.223320},
    TableRow{10, 1, 0.299, 0.071, 0.27, 1.1, -14, 0.609620, 13.833800, 14.533400},
    TableRow{9, 1, 0.279, 0.048, 0.20, 1.4, -19, 0.623800, 24.252000, 25.490400},
};

constexpr std::array kPam250 = {
    TableRow{kUngapped, kUngapped, 0.2252, 0.0868, 0.2223, 0.98, -5.0, 0.660059, 11.754300, 11.754300},
    TableRow{15, 3, 0.205, 0.049, 0.13, 1.6, -23, 0.687656, 34.578400, 34.928000},
    TableRow{14, 3, 0.200, 0.043, 0.12, 1.7, -26, 0.689768, 43.353000, 43.443800},
    TableRow{13, 3, 0.194, 0.036, 0.10, 1.9, -31, 0.697431, 50.948500, 51.081700},
    TableRow{12, 3, 0.186, 0.029, 0.085, 2.2, -41, 0.704565, 69.606500, 69.793600},
    TableRow{11, 3, 0.174, 0.020, 0.070, 2.5, -48, 0.722438, 98.653500, 98.927100},
    TableRow{17, 2, 0.204, 0.047, 0.12, 1.7, -28, 0.684799, 41.583800, 41.735800},
    TableRow{16, 2, 0.198, 0.038, 0.11, 1.8, -29, 0.691098, 51.635200, 51.843900},
    TableRow{15, 2, 0.191, 0.031, 0.087, 2.2, -44, 0.699051, 67.256700, 67.558500},
    TableRow{14, 2, 0.182, 0.024, 0.073, 2.5, -53, 0.714103, 96.315100, 96.756800},
    TableRow{13, 2, 0.171, 0.017, 0.059, 2.9, -64, 0.728738, 135.653000, 136.339000},
    TableRow{21, 1, 0.205, 0.045, 0.11, 1.8, -34, 0.683265, 48.728200, 49.218800},
    TableRow{20, 1, 0.199, 0.037, 0.10, 1.9, -35, 0.689380, 60.832000, 61.514100},
    TableRow{19, 1, 0.192, 0.029, 0.083, 2.3, -52, 0.696344, 84.019700, 84.985600},
    TableRow{18, 1, 0.183, 0.021, 0.070, 2.6, -60, 0.710525, 113.829000, 115.184000},
    TableRow{17, 1, 0.171, 0.014, 0.052, 3.3, -86, 0.727000, 175.071000, 177.196000},
};

struct MatrixTable {
  std::string_view name;
  std::span<const TableRow> rows;  // rows[0] is the ungapped row
};

constexpr std::array kTables = {
    MatrixTable{"BLOSUM45", kBlosum45}, MatrixTable{"BLOSUM50", kBlosum50}, MatrixTable{"BLOSUM62", kBlosum62},
    MatrixTable{"BLOSUM80", kBlosum80}, MatrixTable{"PAM250", kPam250},
};

const MatrixTable* find_table(std::string_view matrix_name) {
  for (const MatrixTable& table : kTables) {
    if (table.name.size() == matrix_name.size() &&
        std::equal(table.name.begin(), table.name.end(), matrix_name.begin(), [](char a, char b) {
          return a == std::toupper(static_cast<unsigned char>(b));
        })) {
      return &table;
    }
  }
  return nullptr;
}

// The standard normal distribution function. blastp 2.12 evaluates it as
// erfc(-x / sqrt 2) / 2; some later BLAST sources write 0.5 + 0.5 erf(x),
// which is not the same function and does not reproduce 2.12's E-values.
double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// Spouge's expected overlap term for one sequence of length `length`: the
// mean over the alignment's length distribution, N(a y + b, v), of the
// room left for its start, E[max(0, length - L)], and P(L <= length).
struct EdgeTerm {
  double room;
  double probability;
};

EdgeTerm edge_term(double length, double mean, double variance) {
  constexpr double kInvSqrt2Pi = 0.398942280401432677939946059934;
  const double deviation = std::sqrt(variance);
  const double excess = length - mean;
  const double z = excess / deviation;
  const double probability = normal_cdf(z);
  return {excess * probability + deviation * kInvSqrt2Pi * std::exp(-0.5 * z * z), probability};
}

}  // namespace

std::optional<KarlinAltschul> karlin_altschul(std::string_view matrix_name, int gap_open, int gap_extend) {
  const MatrixTable* table = find_table(matrix_name);
  if (table == nullptr) return std::nullopt;
  const TableRow& ungapped = table->rows.front();
  for (const TableRow& row : table->rows.subspan(1)) {
    if (row.gap_open != gap_open || row.gap_extend != gap_extend) continue;
    KarlinAltschul p;
    p.gap_open = row.gap_open;
    p.gap_extend = row.gap_extend;
    p.lambda = row.lambda;
    p.K = row.K;
    p.H = row.H;
    p.alpha = row.alpha;
    p.beta = row.beta;
    p.C = row.C;
    p.alpha_v = row.alpha_v;
    p.sigma = row.sigma;
    // Spouge's intercepts: BLAST ties each gapped line to the ungapped one
    // through the cost of a one-residue gap, G.
    const double G = gap_open + gap_extend;
    p.b = 2.0 * G * (ungapped.alpha - row.alpha);
    p.beta_v = 2.0 * G * (ungapped.alpha_v - row.alpha_v);
    p.tau = 2.0 * G * (ungapped.alpha_v - row.sigma);
    return p;
  }
  return std::nullopt;
}

std::vector<std::pair<int, int>> gap_costs_with_statistics(std::string_view matrix_name) {
  std::vector<std::pair<int, int>> costs;
  if (const MatrixTable* table = find_table(matrix_name)) {
    for (const TableRow& row : table->rows.subspan(1)) costs.emplace_back(row.gap_open, row.gap_extend);
  }
  return costs;
}

double bit_score(const KarlinAltschul& parameters, int score) {
  return (parameters.lambda * score - std::log(parameters.K)) / std::log(2.0);
}

double evalue(const KarlinAltschul& parameters, int score, std::size_t query_length, std::size_t subject_length,
              std::size_t db_residues, std::size_t db_sequences, const SizeOverrides& overrides) {
  // One pair: the score's terms worked out and used once, none kept.
  const QueryStatistics pair(parameters, query_length, db_residues, db_sequences, overrides);
  return pair.expectation(pair.compute(score), subject_length);
}

namespace {
// Scores up to this keep their terms; the rare higher one is worked out alone.
constexpr int kCachedScores = 4096;
}  // namespace

QueryStatistics::QueryStatistics(const KarlinAltschul& parameters, std::size_t query_length,
                                 std::size_t db_residues, std::size_t db_sequences, const SizeOverrides& overrides)
    : parameters_(parameters),
      query_length_(static_cast<double>(query_length)),
      db_residues_(db_residues),
      database_(static_cast<double>(overrides.db_length != 0 ? overrides.db_length
                                                             : std::max<std::size_t>(db_residues, 1))),
      search_space_(static_cast<double>(overrides.search_space)) {
  if (db_sequences == 0) {
    throw InputError("E-value: the database has no sequences, so no subject can belong to it");
  }
}

QueryStatistics::ScoreTerms QueryStatistics::compute(int score) const {
  ScoreTerms t;
  const double y = score;
  const double lambda = parameters_.lambda;
  t.bits = swl::bit_score(parameters_, score);
  // Length of an alignment of score y: mean a y + b, variance alpha_v y +
  // beta_v, floored where the linear fit fails for small scores; the same
  // for both sequences, as the matrices are symmetric.
  t.mean = parameters_.alpha * y + parameters_.b;
  t.variance = std::max(2.0 * parameters_.alpha_v / lambda, parameters_.alpha_v * y + parameters_.beta_v);
  const EdgeTerm query = edge_term(query_length_, t.mean, t.variance);
  t.query_room = query.room;
  t.query_probability = query.probability;
  t.covariance = std::max(2.0 * parameters_.sigma / lambda, parameters_.sigma * y + parameters_.tau);
  t.decay = std::exp(-lambda * y);
  return t;
}

const QueryStatistics::ScoreTerms& QueryStatistics::terms(int score) {
  if (score < 0 || score >= kCachedScores) return other_ = compute(score);
  const auto index = static_cast<std::size_t>(score);
  if (index >= known_.size()) {
    // Doubling keeps the growth cheap; most scores of a search are small.
    const std::size_t size = std::min<std::size_t>(kCachedScores, std::max(index + 1, 2 * known_.size()));
    by_score_.resize(size);
    known_.resize(size, false);
  }
  if (!known_[index]) {
    by_score_[index] = compute(score);
    known_[index] = true;
  }
  return by_score_[index];
}

double QueryStatistics::bit_score(int score) { return terms(score).bits; }

double QueryStatistics::evalue(int score, std::size_t subject_length) {
  return expectation(terms(score), subject_length);
}

double QueryStatistics::expectation(const ScoreTerms& t, std::size_t subject_length) const {
  if (subject_length > db_residues_) {
    throw InputError("E-value: the subject (" + std::to_string(subject_length) +
                     " residues) is longer than the whole database (" + std::to_string(db_residues_) + " residues)");
  }
  if (search_space_ > 0) return parameters_.K * search_space_ * t.decay;
  const double n = static_cast<double>(std::max<std::size_t>(subject_length, 1));
  const EdgeTerm subject = edge_term(n, t.mean, t.variance);
  const double area = t.query_room * subject.room + t.covariance * t.query_probability * subject.probability;
  // The pair's expectation, scaled to the whole database as blastp scales
  // it: by how many subjects of this length the database's residues make.
  return area * parameters_.K * t.decay * (database_ / n);
}

}  // namespace swl
