#include "rl/data/csv_reader.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace mtf {

std::string quote_cell(std::string_view cell) {
  constexpr std::size_t kMax = 40;
  std::string out = "\"";
  out += cell.substr(0, kMax);
  if (cell.size() > kMax) out += "...";
  return out + "\"";
}

CsvReader CsvReader::open(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw InputError(path + ": is a directory, not a file");
  auto in = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!*in) throw InputError(path + ": cannot open: " + std::strerror(errno));
  return CsvReader(std::move(in), path);
}

CsvReader CsvReader::from_text(std::string text, std::string source) {
  return CsvReader(std::make_unique<std::istringstream>(std::move(text)), std::move(source));
}

CsvReader::CsvReader(std::unique_ptr<std::istream> in, std::string source) : in_(std::move(in)), source_(std::move(source)) {
  // A UTF-8 byte order mark (EF BB BF) before the header is not part of the first name.
  std::streambuf& sb = *in_->rdbuf();
  if (sb.sgetc() == 0xEF) {
    char bom[3] = {};
    if (sb.sgetn(bom, 3) != 3 || std::memcmp(bom, "\xEF\xBB\xBF", 3) != 0)
      fail_at(1, "the file starts with a byte that is neither a header nor a UTF-8 byte order mark");
  }
  if (read_record(header_) == Read::EndOfFile) fail_at(1, "empty file, expected a header line");
  for (std::size_t i = 0; i < header_.size(); ++i) {
    if (header_[i].empty()) continue;  // pandas' unnamed index column; cannot be mapped, may repeat
    for (std::size_t j = 0; j < i; ++j)
      if (header_[j] == header_[i])
        fail_at(1, "column \"" + header_[i] + "\" appears twice in the header (fields " + std::to_string(j + 1) +
                       " and " + std::to_string(i + 1) + ")");
  }
}

CsvReader::CsvReader(CsvReader&&) noexcept = default;
CsvReader& CsvReader::operator=(CsvReader&&) noexcept = default;
CsvReader::~CsvReader() = default;

int CsvReader::column(std::string_view name) const {
  if (name.empty()) return -1;
  for (std::size_t i = 0; i < header_.size(); ++i)
    if (header_[i] == name) return int(i);
  return -1;
}

std::string CsvReader::column_name(int column) const {
  if (column >= 0 && std::size_t(column) < header_.size() && !header_[column].empty())
    return "column \"" + header_[column] + "\"";
  return "field " + std::to_string(column + 1) + (header_.empty() ? "" : " (unnamed)");
}

void CsvReader::fail_at(long long line, const std::string& what) const {
  throw InputError(source_ + ":" + std::to_string(line) + ": " + what);
}

void CsvReader::fail(int column, const std::string& what) const {
  fail_at(record_line_, column_name(column) + ": " + what);
}

// One record of RFC 4180 into `out` (one string per field, reused between records). Byte by byte from
// the stream buffer: the record is the only thing held, and it is checked against max_line_bytes
// before each byte is appended.
CsvReader::Read CsvReader::read_record(std::vector<std::string>& out) {
  std::streambuf& sb = *in_->rdbuf();
  constexpr int kEof = std::char_traits<char>::eof();
  int c = sb.sbumpc();
  if (c == kEof) return Read::EndOfFile;
  record_line_ = line_;
  const bool header = header_.empty();  // the header itself has no column count to keep to
  const std::size_t max_bytes = input_limits().max_line_bytes;
  std::size_t bytes = 0, k = 0;
  const auto field_name = [&] { return header ? "field " + std::to_string(k + 1) : column_name(int(k)); };
  const auto append = [&](std::string& f, int ch) {
    if (++bytes > max_bytes)
      fail_at(record_line_, "the record is longer than " + std::to_string(max_bytes) +
                                " bytes (InputLimits::max_line_bytes; raise it with mtf --limits)");
    f.push_back(char(ch));
  };
  if (c == '\n' || c == '\r') fail_at(record_line_, "empty line (a record needs " +
                                         (header ? std::string("a header") : std::to_string(header_.size()) + " fields") + ")");
  for (;;) {
    if (!header && k == header_.size())
      fail_at(record_line_, "more fields than the header's " + std::to_string(header_.size()) + " columns");
    if (k == out.size()) out.emplace_back();
    std::string& f = out[k];
    f.clear();
    if (c == '"') {  // quoted: commas, line breaks and doubled quotes are data
      const long long opened = line_;
      for (;;) {
        c = sb.sbumpc();
        if (c == kEof)
          fail_at(record_line_, field_name() + ": the file ends inside a quoted field opened on line " +
                                    std::to_string(opened) + " (a truncated line?)");
        if (c == '"') {
          c = sb.sbumpc();
          if (c != '"') break;  // the closing quote; c is the byte after it
        } else if (c == '\n') {
          ++line_;
        }
        append(f, c);
      }
      if (c != ',' && c != '\n' && c != '\r' && c != kEof)
        fail_at(record_line_, field_name() + ": characters after the closing quote of a quoted field");
    } else {
      while (c != ',' && c != '\n' && c != '\r' && c != kEof) {
        if (c == '"')
          fail_at(record_line_, field_name() + ": a quote inside an unquoted field (RFC 4180: quote the whole "
                                               "field and write the quote twice)");
        append(f, c);
        c = sb.sbumpc();
      }
    }
    if (c == '\r' && (c = sb.sbumpc()) != '\n')
      fail_at(record_line_, field_name() + ": a carriage return that does not end the line");
    ++k;
    if (c != ',') break;  // '\n' or the end of the file ends the record
    c = sb.sbumpc();
  }
  if (c == '\n') ++line_;
  out.resize(k);
  return Read::Record;
}

bool CsvReader::next() {
  if (read_record(fields_) == Read::EndOfFile) return false;
  if (fields_.size() < header_.size())
    fail(int(fields_.size()), "missing: the line has " + std::to_string(fields_.size()) + " of the header's " +
                                  std::to_string(header_.size()) + " fields (a truncated line?)");
  return true;
}

double CsvReader::number(int column) const {
  const std::string& s = fields_.at(std::size_t(column));
  if (s.empty()) fail(column, "empty cell, expected a number");
  const char* begin = s.data();
  const char* end = begin + s.size();
  const char* digits = begin + (*begin == '-' ? 1 : 0);
  if (digits < end && (*digits == 'n' || *digits == 'N' || *digits == 'i' || *digits == 'I'))
    fail(column, quote_cell(s) + " is not a finite number");
  double v = 0;
  auto r = std::from_chars(begin, end, v);
  if (r.ec == std::errc::result_out_of_range) {
    // from_chars reports underflow (1e-400) like overflow; strtod tells them apart (0 or a subnormal
    // for the first, HUGE_VAL for the second). Only overflow is an error.
    v = std::strtod(s.c_str(), nullptr);
    if (!std::isfinite(v) || std::fabs(v) >= 1) fail(column, quote_cell(s) + " is not a finite number (overflow)");
    r.ec = std::errc();
  }
  // from_chars also reads "1." and ".5"; a leading '+' it refuses already.
  if (r.ec != std::errc() || r.ptr != end || *digits == '.' || *(end - 1) == '.')
    fail(column, "expected a number, got " + quote_cell(s));
  return v;
}

std::int64_t CsvReader::integer(int column) const {
  const std::string& s = fields_.at(std::size_t(column));
  if (s.empty()) fail(column, "empty cell, expected an integer");
  std::int64_t v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec == std::errc::result_out_of_range) fail(column, quote_cell(s) + " does not fit a 64-bit integer");
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) fail(column, "expected an integer, got " + quote_cell(s));
  return v;
}

}  // namespace mtf
