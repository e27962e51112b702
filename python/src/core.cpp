// swladder._core: the compiled rungs as seen from Python. Private: the
// package (python/swladder) wraps it in the documented API. Everything here
// iterates the registry, so a stage added with swl_stage() appears in Python
// without a change to this file.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstdint>
#include <climits>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "alphabet.hpp"
#include "database.hpp"
#include "dispatch.hpp"
#include "errors.hpp"
#include "fasta.hpp"
#include "matrix.hpp"
#include "registry.hpp"
#include "scoring.hpp"
#include "stage.hpp"
#include "synthetic.hpp"
#include "verify.hpp"

namespace py = pybind11;

namespace {

// Names and paths come from files and may not be UTF-8; they must still reach
// Python (and an error message must never fail to be raised because of them).
py::str text(const std::string& bytes, const char* errors = "surrogateescape") {
  PyObject* object = PyUnicode_DecodeUTF8(bytes.data(), static_cast<Py_ssize_t>(bytes.size()), errors);
  if (object == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(object);
}

void raise_as(PyObject* type, const char* message) {
  const py::str text_message = text(message, "replace");
  PyErr_SetObject(type, text_message.ptr());
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& word : words) out += (out.empty() ? "" : ", ") + word;
  return out;
}

template <typename T>
py::array_t<T> to_array(const std::vector<T>& values) {
  py::array_t<T> array(static_cast<py::ssize_t>(values.size()));
  if (!values.empty()) std::memcpy(array.mutable_data(), values.data(), values.size() * sizeof(T));
  return array;
}

// Stages that choose among kernels (kernels/dispatch) reject a kernel they do
// not have, or one this CPU lacks, with their own message; a stage with a
// single kernel ignores the request. So a kernel the stage does not list is
// tried on one cell: if the stage does not object, this does, in the same words.
void check_kernel(const swl::Stage& stage, const std::string& kernel) {
  if (kernel.empty()) return;
  const auto kernels = stage.kernels();
  if (std::find(kernels.begin(), kernels.end(), kernel) != kernels.end()) return;
  const swl::Database one_residue = swl::Database::from_sequences({"A"});
  const auto probe = stage.search(swl::encode("A"), one_residue, swl::Scoring{}, {1, kernel});
  if (probe.kernel == kernel) return;
  throw swl::InputError("stage '" + std::string(stage.name()) + "' has no kernel '" + kernel + "' (it has: " +
                        join(kernels) + ")");
}

py::dict stage_info(const swl::Stage& stage) {
  py::dict info;
  info["name"] = std::string(stage.name());
  info["summary"] = std::string(stage.summary());
  info["kernels"] = stage.kernels();
  info["threaded"] = stage.threaded();
  info["supported"] = stage.supported();
  return info;
}

py::tuple search(const std::string& stage_name, const std::string& query, const swl::Database& db,
                 const std::string& matrix, int gap_open, int gap_extend, int threads, const std::string& kernel) {
  const swl::Stage& stage = swl::get_stage(stage_name);
  const swl::Scoring scoring = swl::make_scoring(matrix, gap_open, gap_extend);
  const auto query_codes = swl::encode(query, "query");
  check_kernel(stage, kernel);
  swl::SearchResult result;
  {
    // The database is immutable once built and the stages keep no state, so
    // other Python threads may run (and search) meanwhile.
    py::gil_scoped_release release;
    result = stage.search(query_codes, db, scoring, {threads, kernel});
  }
  return py::make_tuple(to_array(result.scores), result.kernel, result.threads, result.rescored);
}

std::vector<std::string> to_strings(const py::list& items) {
  std::vector<std::string> out;
  out.reserve(items.size());
  for (const auto& item : items) out.push_back(item.cast<std::string>());
  return out;
}

swl::CorpusOptions corpus_options(std::uint64_t seed, bool large, const py::list& real_sequences) {
  swl::CorpusOptions options;
  options.seed = seed;
  options.large = large;
  options.real_sequences = to_strings(real_sequences);
  return options;
}

py::list corpus(std::uint64_t seed, bool large, const py::list& real_sequences) {
  py::list cases;
  for (const auto& c : swl::build_corpus(corpus_options(seed, large, real_sequences))) {
    py::dict entry;
    entry["label"] = c.label;
    entry["query"] = c.query;
    entry["subjects"] = c.subjects;
    entry["matrix"] = c.matrix;
    entry["gap_open"] = c.gap_open;
    entry["gap_extend"] = c.gap_extend;
    cases.append(entry);
  }
  return cases;
}

// Cases given from Python (dicts with label, query, subjects, matrix,
// gap_open, gap_extend), or the corpus of seed/large/real_sequences.
std::vector<swl::VerifyCase> cases_or_corpus(const py::object& cases, std::uint64_t seed, bool large,
                                             const py::list& real_sequences) {
  if (cases.is_none()) return swl::build_corpus(corpus_options(seed, large, real_sequences));
  std::vector<swl::VerifyCase> out;
  for (const auto& item : cases) {
    const auto entry = item.cast<py::dict>();
    swl::VerifyCase c;
    c.label = entry.contains("label") ? entry["label"].cast<std::string>() : "case " + std::to_string(out.size());
    c.query = entry["query"].cast<std::string>();
    c.subjects = entry["subjects"].cast<std::vector<std::string>>();
    if (entry.contains("matrix")) c.matrix = entry["matrix"].cast<std::string>();
    if (entry.contains("gap_open")) c.gap_open = entry["gap_open"].cast<int>();
    if (entry.contains("gap_extend")) c.gap_extend = entry["gap_extend"].cast<int>();
    out.push_back(std::move(c));
  }
  return out;
}

py::dict report_to_dict(const swl::VerifyReport& report) {
  py::dict out;
  out["stage"] = report.stage;
  out["reference"] = report.reference;
  out["kernel"] = report.kernel;
  out["threads"] = report.threads;
  out["passed"] = report.passed;
  out["cases"] = report.cases;
  out["pairs"] = report.pairs;
  out["skipped_pairs"] = report.skipped_pairs;
  out["cells"] = report.cells;
  out["first_mismatch"] = report.first_mismatch ? py::object(text(report.first_mismatch->describe())) : py::none();
  out["error"] = report.error.empty() ? py::object(py::none()) : py::object(text(report.error));
  out["description"] = text(report.describe());
  return out;
}

py::dict verify(const std::string& stage_name, std::uint64_t seed, bool large, const py::list& real_sequences,
                int threads, const std::string& kernel, const py::object& cases) {
  const swl::Stage& stage = swl::get_stage(stage_name);
  check_kernel(stage, kernel);
  const std::vector<swl::VerifyCase> corpus = cases_or_corpus(cases, seed, large, real_sequences);
  swl::VerifyReport report;
  {
    py::gil_scoped_release release;
    report = swl::verify_stage(stage, corpus, {threads, kernel});
  }
  return report_to_dict(report);
}

// The harness for a scorer written in Python: fn(query, subjects, matrix,
// gap_open, gap_extend) -> scores, called with the GIL held, checked pair by
// pair against the reference stage on the corpus (or on the given cases).
// Pairs over max_pair_cells (when > 0) are skipped and counted. Reference
// scores are kept between calls (keyed by the whole case), so checking many
// scorers on the same large input computes the reference once.
py::dict verify_function(const std::string& name, const py::object& fn, std::uint64_t seed, bool large,
                         const py::list& real_sequences, const py::object& cases, double max_pair_cells) {
  static std::map<std::string, std::vector<std::int32_t>> reference_cache;
  static std::size_t reference_cache_bytes = 0;
  constexpr std::size_t kReferenceCacheBytes = std::size_t{256} << 20;

  const swl::Stage& reference = swl::get_stage("scalar");
  const std::vector<swl::VerifyCase> corpus = cases_or_corpus(cases, seed, large, real_sequences);
  swl::VerifyReport report;
  report.stage = name;
  report.reference = std::string(reference.name());
  report.kernel = "python";
  report.threads = 1;
  try {
    for (const auto& c : corpus) {
      const swl::Scoring scoring = swl::make_scoring(c.matrix, c.gap_open, c.gap_extend);
      std::vector<std::string> kept;
      std::vector<std::size_t> kept_index;
      double cells = 0;
      for (std::size_t k = 0; k < c.subjects.size(); ++k) {
        const double pair_cells = static_cast<double>(c.query.size()) * static_cast<double>(c.subjects[k].size());
        if (max_pair_cells > 0 && pair_cells > max_pair_cells) {
          ++report.skipped_pairs;
          continue;
        }
        kept.push_back(c.subjects[k]);
        kept_index.push_back(k);
        cells += pair_cells;
      }
      if (kept.empty() && !c.subjects.empty()) continue;  // every pair skipped: nothing to check

      std::string key = c.matrix + "\n" + std::to_string(c.gap_open) + "/" + std::to_string(c.gap_extend) + "\n" +
                        c.query;
      for (const auto& subject : kept) (key += '\n') += subject;
      std::vector<std::int32_t> expected;
      if (const auto hit = reference_cache.find(key); hit != reference_cache.end()) {
        expected = hit->second;
      } else {
        const auto query = swl::encode(c.query, "query");
        const swl::Database db = swl::Database::from_sequences(kept);
        {
          py::gil_scoped_release release;
          expected = reference.search(query, db, scoring).scores;
        }
        if (reference_cache_bytes + key.size() > kReferenceCacheBytes) {
          reference_cache.clear();
          reference_cache_bytes = 0;
        }
        reference_cache_bytes += key.size();
        reference_cache.emplace(std::move(key), expected);
      }

      std::vector<std::int64_t> actual;
      try {
        const py::object scores = fn(c.query, kept, c.matrix, c.gap_open, c.gap_extend);
        for (const auto& score : scores) actual.push_back(score.cast<std::int64_t>());
      } catch (py::error_already_set& e) {
        const std::string type = py::str(e.type().attr("__name__"));
        const std::string message = py::str(e.value());
        report.error = "case '" + c.label + "': " + type + (message.empty() ? "" : ": " + message);
        return report_to_dict(report);
      } catch (const py::cast_error& e) {
        report.error = "case '" + c.label + "': scores are not integers (" + e.what() + ")";
        return report_to_dict(report);
      }
      ++report.cases;
      report.cells += cells;
      if (actual.size() != kept.size()) {
        report.error = "case '" + c.label + "': returned " + std::to_string(actual.size()) + " scores for " +
                       std::to_string(kept.size()) + " subjects";
        return report_to_dict(report);
      }
      for (std::size_t k = 0; k < kept.size(); ++k) {
        ++report.pairs;
        if (actual[k] != expected[k]) {
          const auto got = static_cast<std::int32_t>(
              std::clamp<std::int64_t>(actual[k], INT32_MIN, INT32_MAX));
          report.first_mismatch = swl::Mismatch{c.label, kept_index[k], c.query, kept[k], c.matrix, c.gap_open,
                                                c.gap_extend, expected[k], got};
          return report_to_dict(report);
        }
      }
    }
  } catch (const std::exception& e) {
    report.error = e.what();
    return report_to_dict(report);
  }
  report.passed = true;
  return report_to_dict(report);
}

py::list records_to_list(const std::vector<swl::FastaRecord>& records) {
  py::list out;
  for (const auto& record : records) out.append(py::make_tuple(text(record.name), text(record.description), record.sequence));
  return out;
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "Compiled Smith-Waterman rungs of swladder (private: use the swladder package).";

  py::register_exception_translator([](std::exception_ptr error) {
    try {
      if (error) std::rethrow_exception(error);
    } catch (const swl::FileError& e) {
      raise_as(PyExc_FileNotFoundError, e.what());
    } catch (const swl::InputError& e) {
      raise_as(PyExc_ValueError, e.what());
    }
  });

  m.attr("ALPHABET") = std::string(swl::kAlphabet);
  m.attr("MAX_GAP_PENALTY") = swl::kMaxGapPenalty;
  m.attr("DEFAULT_SEED") = swl::CorpusOptions{}.seed;

  m.def("cpu_features", &swl::cpu_features, "Instruction sets this CPU offers, as the kernels see them.");
  m.def(
      "compiler",
      [] {
#if defined(__clang__)
        return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
        return std::string("g++ ") + __VERSION__;
#else
        return std::string("unknown compiler");
#endif
      },
      "The compiler that built the kernels.");
  m.def("synthetic_database", &swl::synthetic_database, py::arg("seed"), py::arg("count"), py::arg("min_length") = 20,
        py::arg("max_length") = 5000,
        "Deterministic synthetic proteins: UniProt-like residue frequencies, log-normal lengths.");
  m.def("builtin_matrices", &swl::ScoreMatrix::builtin_names, "Names of the compiled-in substitution matrices.");
  m.def(
      "matrix",
      [](const std::string& name_or_path) {
        const auto matrix = swl::ScoreMatrix::named_or_file(name_or_path);
        py::array_t<std::int32_t> table({swl::kAlphabetSize, swl::kAlphabetSize});
        auto view = table.mutable_unchecked<2>();
        for (int a = 0; a < swl::kAlphabetSize; ++a) {
          for (int b = 0; b < swl::kAlphabetSize; ++b) view(a, b) = matrix.score(static_cast<std::uint8_t>(a), static_cast<std::uint8_t>(b));
        }
        return py::make_tuple(text(matrix.name()), table);
      },
      py::arg("name_or_path"), "(name, 24x24 int32 table in ALPHABET order) of a built-in matrix or a matrix file.");
  m.def(
      "check_scoring",
      [](const std::string& matrix, int gap_open, int gap_extend) { swl::make_scoring(matrix, gap_open, gap_extend); },
      py::arg("matrix"), py::arg("gap_open"), py::arg("gap_extend"),
      "Raises ValueError (or FileNotFoundError) unless the matrix and penalties are usable.");
  m.def(
      "check_sequence", [](const std::string& sequence, const std::string& name) { swl::encode(sequence, name); },
      py::arg("sequence"), py::arg("name") = "query", "Raises ValueError naming the first invalid residue.");
  m.def(
      "read_fasta", [](const std::string& path) { return records_to_list(swl::read_fasta(path)); }, py::arg("path"),
      "[(name, description, sequence)] of a FASTA file.");
  m.def(
      "parse_fasta",
      [](const py::bytes& content, const std::string& source) {
        return records_to_list(swl::parse_fasta(std::string(content), source));
      },
      py::arg("content"), py::arg("source") = "<string>", "[(name, description, sequence)] of FASTA text.");

  py::class_<swl::Database>(m, "Database", "An encoded protein database, built once and searched many times.")
      .def(py::init<>())
      .def_static("from_fasta", &swl::Database::from_fasta, py::arg("path"))
      .def_static(
          "from_fasta_bytes",
          [](const py::bytes& content, const std::string& source) {
            return swl::Database::from_records(swl::parse_fasta(std::string(content), source));
          },
          py::arg("content"), py::arg("source"))
      .def_static("from_sequences", &swl::Database::from_sequences, py::arg("sequences"))
      .def_static("from_pairs", &swl::Database::from_pairs, py::arg("pairs"))
      .def("__len__", &swl::Database::size)
      .def_property_readonly("names",
                             [](const swl::Database& db) {
                               py::list names;
                               for (const auto& name : db.names()) names.append(text(name));
                               return names;
                             })
      .def_property_readonly("lengths",
                             [](const swl::Database& db) {
                               std::vector<std::int64_t> lengths(db.size());
                               for (std::size_t i = 0; i < db.size(); ++i) lengths[i] = static_cast<std::int64_t>(db.length(i));
                               return to_array(lengths);
                             })
      .def_property_readonly("total_residues", &swl::Database::total_residues)
      .def_property_readonly("max_length", &swl::Database::max_length)
      .def(
          "sequence",
          [](const swl::Database& db, std::size_t i) {
            if (i >= db.size()) throw py::index_error("database index out of range");
            const auto codes = db.sequence(i);
            return swl::decode(codes.data(), codes.size());
          },
          py::arg("index"), "Sequence i in the 24 matrix letters (uppercase, unknown letters as X).")
      .def("sequences", [](const swl::Database& db) {
        std::vector<std::string> all;
        all.reserve(db.size());
        for (std::size_t i = 0; i < db.size(); ++i) {
          const auto codes = db.sequence(i);
          all.push_back(swl::decode(codes.data(), codes.size()));
        }
        return all;
      });

  m.def("stages", [] {
    py::list all;
    for (const swl::Stage* stage : swl::registry()) all.append(stage_info(*stage));
    return all;
  }, "Every compiled stage, in ladder order, as dicts (name, summary, kernels, threaded, supported).");
  m.def("search", &search, py::arg("stage"), py::arg("query"), py::arg("database"), py::arg("matrix"),
        py::arg("gap_open"), py::arg("gap_extend"), py::arg("threads"), py::arg("kernel"),
        "(scores, kernel, threads, rescored); the GIL is released while the stage runs.");
  m.def("corpus", &corpus, py::arg("seed"), py::arg("large"), py::arg("real_sequences"),
        "The verification corpus as dicts (label, query, subjects, matrix, gap_open, gap_extend).");
  m.def("verify", &verify, py::arg("stage"), py::arg("seed"), py::arg("large"), py::arg("real_sequences"),
        py::arg("threads"), py::arg("kernel"), py::arg("cases") = py::none(),
        "The harness report of one stage against its reference, on the corpus or on the given cases.");
  m.def("verify_function", &verify_function, py::arg("name"), py::arg("fn"), py::arg("seed"), py::arg("large"),
        py::arg("real_sequences"), py::arg("cases") = py::none(), py::arg("max_pair_cells") = 0.0,
        "The harness report of a Python scorer fn(query, subjects, matrix, gap_open, gap_extend) -> scores "
        "against the reference stage, on the corpus or on the given cases (dicts with label, query, subjects, "
        "matrix, gap_open, gap_extend); pairs over max_pair_cells (when > 0) are skipped.");
}
