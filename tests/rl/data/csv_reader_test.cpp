// Tests for rl/data/csv_reader.cpp: RFC 4180 records (quoted commas, doubled quotes, line breaks inside
// quotes, CRLF, a byte order mark, a last line without a break), strict numbers, and the message of each
// kind of defect, asserted whole with its file:line and column.
#include <catch2/catch.hpp>

#include "engine/limits.hpp"
#include "rl/data/csv_reader.hpp"

using namespace mtf;

namespace {

// Reads every record of `text` and returns them.
std::vector<std::vector<std::string>> records(const std::string& text) {
  CsvReader csv = CsvReader::from_text(text, "t.csv");
  std::vector<std::vector<std::string>> out;
  while (csv.next()) out.push_back(csv.fields());
  return out;
}

// The message of the InputError that reading all of `text` throws ("" if none).
std::string read_error(const std::string& text) {
  try {
    records(text);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

// The message of number(1) (or integer(1)) on the first record of "a,b\n1,<cell>\n".
std::string cell_error(const std::string& cell, bool integer = false) {
  CsvReader csv = CsvReader::from_text("a,b\n1," + cell + "\n", "t.csv");
  REQUIRE(csv.next());
  try {
    if (integer) csv.integer(1);
    else csv.number(1);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("csv: a good file, its header, fields and line numbers", "[csv]") {
  CsvReader csv = CsvReader::from_text(",item_id,click\n0,3,1\n1,17,0\n", "t.csv");
  REQUIRE(csv.header() == std::vector<std::string>{"", "item_id", "click"});
  CHECK(csv.column("click") == 2);
  CHECK(csv.column("") == -1);  // the unnamed index column is never found by name
  CHECK(csv.column("nope") == -1);
  REQUIRE(csv.next());
  CHECK(csv.line() == 2);
  CHECK(csv.integer(1) == 3);
  CHECK(csv.number(2) == 1.0);
  REQUIRE(csv.next());
  CHECK(csv.line() == 3);
  CHECK(csv.fields() == std::vector<std::string>{"1", "17", "0"});
  CHECK_FALSE(csv.next());
}

TEST_CASE("csv: quoted commas, doubled quotes and line breaks inside quotes", "[csv]") {
  const auto r = records("name,range,n\n\"Smith, J.\",\"[100,1k)\",1\n\"say \"\"hi\"\"\",\"two\nlines\",2\nlast,\"\",3");
  REQUIRE(r.size() == 3);
  CHECK(r[0] == std::vector<std::string>{"Smith, J.", "[100,1k)", "1"});
  CHECK(r[1] == std::vector<std::string>{"say \"hi\"", "two\nlines", "2"});
  CHECK(r[2] == std::vector<std::string>{"last", "", "3"});  // no line break after the last record
  // The record after a quoted line break starts one line later than it would otherwise.
  CsvReader csv = CsvReader::from_text("a,b\n\"x\ny\",1\n2,3\n", "t.csv");
  REQUIRE(csv.next());
  CHECK(csv.line() == 2);
  REQUIRE(csv.next());
  CHECK(csv.line() == 4);
}

TEST_CASE("csv: CRLF line ends and a UTF-8 byte order mark", "[csv]") {
  CsvReader csv = CsvReader::from_text("\xEF\xBB\xBF" "a,b\r\n1,\"2\"\r\n3,4\r\n", "t.csv");
  CHECK(csv.header() == std::vector<std::string>{"a", "b"});
  REQUIRE(csv.next());
  CHECK(csv.fields() == std::vector<std::string>{"1", "2"});
  REQUIRE(csv.next());
  CHECK(csv.fields() == std::vector<std::string>{"3", "4"});
  CHECK_FALSE(csv.next());
}

TEST_CASE("csv: malformed records are errors naming file:line and column", "[csv]") {
  CHECK(read_error("a,b,c\n1,2,3\n4,5\n") ==
        "t.csv:3: column \"c\": missing: the line has 2 of the header's 3 fields (a truncated line?)");
  CHECK(read_error("a,b\n1,2,3\n") == "t.csv:2: more fields than the header's 2 columns");
  CHECK(read_error("a,b\n1,\"2\n") ==
        "t.csv:2: column \"b\": the file ends inside a quoted field opened on line 2 (a truncated line?)");
  CHECK(read_error("a,b\n1,2\n3,4\"x\n") ==
        "t.csv:3: column \"b\": a quote inside an unquoted field (RFC 4180: quote the whole field and write the "
        "quote twice)");
  CHECK(read_error("a,b\n\"1\"x,2\n") == "t.csv:2: column \"a\": characters after the closing quote of a quoted field");
  CHECK(read_error("a,b\n1,2\n\n3,4\n") == "t.csv:3: empty line (a record needs 2 fields)");
  CHECK(read_error("a,b\n1,2\r3,4\n") == "t.csv:2: column \"b\": a carriage return that does not end the line");
  CHECK(read_error("") == "t.csv:1: empty file, expected a header line");
  CHECK(read_error("a,b,a\n1,2,3\n") == "t.csv:1: column \"a\" appears twice in the header (fields 1 and 3)");
}

TEST_CASE("csv: numbers are read whole and strictly", "[csv]") {
  CsvReader csv = CsvReader::from_text("a,b,c,d\n-2,1e-3,0.045525,1e-400\n", "t.csv");
  REQUIRE(csv.next());
  CHECK(csv.integer(0) == -2);
  CHECK(csv.number(1) == 1e-3);
  CHECK(csv.number(2) == 0.045525);
  CHECK(csv.number(3) == 0.0);  // an underflow rounds to zero, as strtod does; only overflow is refused
  CHECK(cell_error("abc") == "t.csv:2: column \"b\": expected a number, got \"abc\"");
  CHECK(cell_error("nan") == "t.csv:2: column \"b\": \"nan\" is not a finite number");
  CHECK(cell_error("NaN") == "t.csv:2: column \"b\": \"NaN\" is not a finite number");
  CHECK(cell_error("-inf") == "t.csv:2: column \"b\": \"-inf\" is not a finite number");
  CHECK(cell_error("1e999") == "t.csv:2: column \"b\": \"1e999\" is not a finite number (overflow)");
  CHECK(cell_error("") == "t.csv:2: column \"b\": empty cell, expected a number");
  for (const char* bad : {"+1", "1.", ".5", " 1", "1 ", "0x10", "1,5"}) {
    INFO(bad);
    const std::string cell = std::string(bad) == "1,5" ? "\"1,5\"" : bad;
    CHECK(cell_error(cell) == "t.csv:2: column \"b\": expected a number, got \"" + std::string(bad) + "\"");
  }
  CHECK(cell_error("3.0", true) == "t.csv:2: column \"b\": expected an integer, got \"3.0\"");
  CHECK(cell_error("99999999999999999999", true) ==
        "t.csv:2: column \"b\": \"99999999999999999999\" does not fit a 64-bit integer");
  // A long cell is cut in the message.
  CHECK(cell_error(std::string(50, 'x')) ==
        "t.csv:2: column \"b\": expected a number, got \"" + std::string(40, 'x') + "...\"");
}

TEST_CASE("csv: a record longer than max_line_bytes is refused before it grows", "[csv]") {
  const InputLimits saved = input_limits();
  InputLimits tight = saved;
  tight.max_line_bytes = 8;
  set_input_limits(tight);
  std::string error = read_error("a,b\n1,2\n123456,789\n");
  set_input_limits(saved);
  CHECK(error == "t.csv:3: the record is longer than 8 bytes (InputLimits::max_line_bytes; raise it with mtf --limits)");
}

TEST_CASE("csv: files that cannot be read are named", "[csv]") {
  CHECK_THROWS_WITH(CsvReader::open(MTF_TEST_DATA_DIR), std::string(MTF_TEST_DATA_DIR) + ": is a directory, not a file");
  CHECK_THROWS_WITH(CsvReader::open("/nonexistent/x.csv"),
                    Catch::Matchers::StartsWith("/nonexistent/x.csv: cannot open: "));
}
