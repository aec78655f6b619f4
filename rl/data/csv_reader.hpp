// rl/data/csv_reader.hpp — a strict, streaming CSV reader (RFC 4180) whose every error names the file,
// the line, the column and what is wrong: `men.csv:17: column "propensity_score": 1.5 outside (0, 1]`.
//
// RFC 4180: records end with "\n" or "\r\n" (the last one may have none), fields are separated by commas,
// a field in double quotes may hold commas, line breaks and quotes written twice (""). The first record
// is the header. Strict where a lenient reader guesses: a quote inside an unquoted field, characters
// after a closing quote, a file ending inside quotes, an empty line, a record with fewer or more fields
// than the header, and a duplicated header name are errors. A UTF-8 byte order mark before the header
// is skipped. One record at a time is held, and its size is checked against
// InputLimits::max_line_bytes (engine/limits.hpp) before it grows, so a file without line breaks
// cannot ask for more memory than the limit.
//
// Numbers are read whole with std::from_chars: "1e-3" and "-2" are numbers; " 1", "+1", "1.", ".5",
// "0x10", "1,5", "nan", "inf" and an empty cell are not. What the columns mean is the caller's business
// (rl/data/bandit_log.hpp maps them to a bandit log).
#pragma once
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/limits.hpp"

namespace mtf {

class CsvReader {
 public:
  /// Opens `path` and reads its header. InputError naming the path if it cannot be read, is a
  /// directory, is empty, or its header is malformed.
  static CsvReader open(const std::string& path);
  /// The same on text in memory; `source` names it in messages.
  static CsvReader from_text(std::string text, std::string source);

  CsvReader(CsvReader&&) noexcept;
  CsvReader& operator=(CsvReader&&) noexcept;
  ~CsvReader();

  const std::string& source() const { return source_; }
  const std::vector<std::string>& header() const { return header_; }
  /// The header column called `name`, or -1 (an empty name, the unnamed index column of a pandas
  /// export, is never found).
  int column(std::string_view name) const;

  /// Reads the next record into fields(); false at the end of the file. Throws InputError on a
  /// malformed record (see the top of this file).
  bool next();
  /// The current record: one field per header column, unquoted.
  const std::vector<std::string>& fields() const { return fields_; }
  /// The line (1-based) on which the current record starts.
  long long line() const { return record_line_; }

  /// The current record's field `column` as a finite double; InputError naming file:line and column.
  double number(int column) const;
  /// The current record's field `column` as a decimal integer ("3", "-1"; not "3.0").
  std::int64_t integer(int column) const;
  /// Throws InputError "<source>:<line>: column \"<name>\": <what>" for the current record.
  [[noreturn]] void fail(int column, const std::string& what) const;

 private:
  CsvReader(std::unique_ptr<std::istream> in, std::string source);
  enum class Read { Record, EndOfFile };
  Read read_record(std::vector<std::string>& out);
  [[noreturn]] void fail_at(long long line, const std::string& what) const;
  std::string column_name(int column) const;

  std::unique_ptr<std::istream> in_;
  std::string source_;
  std::vector<std::string> header_;
  std::vector<std::string> fields_;
  long long line_ = 1;         // the line the reader is on
  long long record_line_ = 0;  // the line the current record started on
};

/// A cell quoted for a message, cut to 40 characters: "abc", "0123456789…".
std::string quote_cell(std::string_view cell);

}  // namespace mtf
