#include "config/yaml_source.hpp"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <charconv>
#include <sstream>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/display_path.hpp"
#include "config/limits.hpp"

namespace maintd::config {
namespace {

using nlohmann::json;

using Position = SourceMap::Position;

constexpr std::string_view kFileSuffix = "_file";
// Keys that end in _file and are paths themselves, kept as written: the file is read by what
// uses it, when it uses it (TLS reads a CA bundle; it is no value of the config).
constexpr std::string_view kPathKey = "ca_file";

Position position_of(const YAML::Mark& mark) {
  if (mark.line < 0) return {};
  return {mark.line + 1, mark.column + 1};
}

// Past a limit that bounds the work of reading a document (nesting, alias expansion): the
// document is given up at `where`, like malformed YAML.
struct DocumentRefused {
  Location where;
  std::string message;
};

// How much an alias copies: values (scalars, lists, maps) and bytes of text (scalars and keys).
struct Size {
  std::size_t values = 0;
  std::size_t bytes = 0;
  Size& operator+=(const Size& other) {
    values += other.values;
    bytes += other.bytes;
    return *this;
  }
};

// Builds the JSON value of a YAML document from yaml-cpp's parser events, recording where each
// value and key was written. (YAML::Load built yaml-cpp's node tree first, and a walk over the
// tree built the JSON: at 100,000 tasks the tree was a fifth of the start-up time.)
//
// Inside a map a frame alternates between a key and its value. A key that is not a plain
// scalar, a duplicate key and a key past the length limit are reported and their value is
// skipped unread: nothing inside it is reported or recorded, as nothing of an entry that is not
// there can be.
//
// The limits of config/limits.hpp hold here: a scalar or key longer than kMaxValueBytes (after
// ${VAR} expansion too) is reported at its place and read as null; nesting deeper than
// kMaxNesting, and aliases that copy more than kMaxAliasValues values or kMaxAliasBytes bytes in
// all ("billion laughs"), end the document at the place they are crossed (DocumentRefused).
class JsonBuilder final : public YAML::EventHandler {
 public:
  JsonBuilder(SourceMap& map, const YamlReadOptions& options, Diagnostics& diagnostics)
      : map_(map), options_(options), diagnostics_(diagnostics) {}

  // The document's value; null for a stream without a document.
  json take() {
    if (!done_) map_.set("", {}, {1, 1}, 0);
    return std::move(result_);
  }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (skip_depth_ > 0 || consumed_as_key(mark, nullptr)) return;
    auto [pointer, key] = next_value(mark);
    map_.set(std::move(pointer), position_of(mark), key, 0);
    finish(nullptr, anchor, {1, 0});
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (skip_depth_ > 0 || consumed_as_key(mark, nullptr)) return;
    auto [pointer, key] = next_value(mark);
    map_.set(std::move(pointer), position_of(mark), key, 0);
    // An anchor inside a skipped value was never built; the parser knew it, so it is not an
    // error of the text's, and the alias reads as null.
    const auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {
      finish(nullptr, 0, {1, 0});
      return;
    }
    count_copy(it->second.size, mark);
    finish(it->second.value, 0, it->second.size);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& text) override {
    if (skip_depth_ > 0 || consumed_as_key(mark, &text)) return;
    auto [pointer, key] = next_value(mark);
    const bool quoted = tag == "!";
    auto expanded = text.size() > kMaxValueBytes
                        ? Expected<std::string, std::string>(Unexpected{
                              over_limit("value", text.size(), kMaxValueBytes, "config values") +
                              ": shorten it"})
                        : expand_variables(text, options_.env, kMaxValueBytes);
    if (!expanded) {
      diagnostics_.error(at(mark), expanded.error());
      map_.set_failed(pointer);
      map_.set(std::move(pointer), position_of(mark), key, quoted ? 1 : 0);
      finish(nullptr, anchor, {1, 0});
      return;
    }
    map_.set(std::move(pointer), position_of(mark), key, quoted ? 1 : 0);
    const Size size{1, expanded->size()};
    finish(quoted ? json(std::move(*expanded)) : yaml_scalar(*expanded), anchor, size);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(mark, anchor, json::array());
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(mark, anchor, json::object());
  }
  void OnMapEnd() override { close(); }

 private:
  // A `name_file: path` entry, resolved when its map ends (the plain `name` may come later).
  struct FileReference {
    std::string key;      // "password_file"
    std::string target;   // "password"
    std::string pointer;  // the target's
    Location key_at;
    json path;
  };
  struct Frame {
    enum class Next { key, value, skipped_value };
    std::string pointer;
    json value;  // the array or object being built
    YAML::anchor_t anchor = 0;
    Size size{1, 0};             // itself, its keys and its values so far
    std::size_t next_index = 0;  // sequences
    // Maps: what comes next, and the entry whose value is being read.
    Next next = Next::key;
    std::string key;
    std::string child;  // the pointer of the entry's value
    Position key_at;
    bool file_reference = false;
    std::unordered_map<std::string, int> seen;  // key -> the line it was first written on
    std::vector<FileReference> file_references;
  };

  Location at(const YAML::Mark& mark) const {
    const Position position = position_of(mark);
    return {map_.file(), position.line, position.column};
  }

  // The pointer and the key position of the value starting at `mark`.
  std::pair<std::string, Position> next_value(const YAML::Mark& mark) {
    if (frames_.empty()) return {"", {1, 1}};
    Frame& frame = frames_.back();
    if (frame.value.is_array())
      return {child_pointer(frame.pointer, frame.next_index++), position_of(mark)};
    return {frame.child, frame.key_at};
  }

  // True when the event at `mark` was a key of the map being read, or the start of a value
  // that is skipped; `text` is the key's text, null for a null key or a collection.
  bool consumed_as_key(const YAML::Mark& mark, const std::string* text) {
    if (frames_.empty() || !frames_.back().value.is_object()) return false;
    Frame& frame = frames_.back();
    if (frame.next == Frame::Next::skipped_value) {
      frame.next = Frame::Next::key;
      return true;
    }
    if (frame.next == Frame::Next::value) return false;
    read_key(frame, mark, text);
    return true;
  }

  void read_key(Frame& frame, const YAML::Mark& mark, const std::string* text) {
    const Location key_at = at(mark);
    if (text == nullptr) {
      diagnostics_.error(key_at, "a map key must be a plain name");
      frame.next = Frame::Next::skipped_value;
      return;
    }
    if (text->size() > kMaxValueBytes) {
      diagnostics_.error(key_at, over_limit("key", text->size(), kMaxValueBytes, "config values") +
                                     ": shorten it");
      frame.next = Frame::Next::skipped_value;
      return;
    }
    if (auto first = frame.seen.find(*text); first != frame.seen.end()) {
      diagnostics_.error(key_at, fmt::format("duplicate key '{}' (first written at line {})", *text,
                                             first->second));
      frame.next = Frame::Next::skipped_value;
      return;
    }
    frame.seen.emplace(*text, key_at.line);
    frame.size.bytes += text->size();
    // `password_file: path` stands for `password: <content of path>`.
    frame.file_reference =
        text->size() > kFileSuffix.size() && text->ends_with(kFileSuffix) && *text != kPathKey;
    frame.key = *text;
    frame.child = child_pointer(
        frame.pointer,
        frame.file_reference ? text->substr(0, text->size() - kFileSuffix.size()) : *text);
    frame.key_at = position_of(mark);
    frame.next = Frame::Next::value;
  }

  void open(const YAML::Mark& mark, YAML::anchor_t anchor, json empty) {
    if (frames_.size() + static_cast<std::size_t>(skip_depth_) >= kMaxNesting) {
      throw DocumentRefused{at(mark),
                            fmt::format("values are nested more than {} levels deep here, the "
                                        "limit (nesting): flatten them",
                                        kMaxNesting)};
    }
    if (skip_depth_ > 0) {
      ++skip_depth_;
      return;
    }
    if (!frames_.empty() && frames_.back().value.is_object() &&
        frames_.back().next != Frame::Next::value) {
      // A collection as a key (reported; its value is skipped too), or a skipped value.
      if (frames_.back().next == Frame::Next::key) {
        diagnostics_.error(at(mark), "a map key must be a plain name");
      }
      skip_depth_ = 1;
      return;
    }
    auto [pointer, key] = next_value(mark);
    map_.set(pointer, position_of(mark), key, 0);
    Frame frame;
    frame.pointer = std::move(pointer);
    frame.value = std::move(empty);
    frame.anchor = anchor;
    frames_.push_back(std::move(frame));
  }

  void close() {
    if (skip_depth_ > 0) {
      if (--skip_depth_ == 0) {
        // A collection key was skipped: its value comes next, and is skipped too; or a
        // skipped value ended: a key comes next.
        Frame& frame = frames_.back();
        frame.next = frame.next == Frame::Next::key ? Frame::Next::skipped_value : Frame::Next::key;
      }
      return;
    }
    Frame frame = std::move(frames_.back());
    frames_.pop_back();
    for (FileReference& reference : frame.file_references) {
      if (frame.seen.count(reference.target)) {
        diagnostics_.error(reference.key_at, fmt::format("both '{}' and '{}' are set; keep one",
                                                         reference.target, reference.key));
        continue;
      }
      json& value = frame.value[reference.target];
      value = read_value_file(reference.path, reference.key, map_.value(reference.pointer));
      if (value.is_null()) {
        map_.set_failed(reference.pointer);
      } else {
        map_.set_from_file(reference.pointer);
      }
      // An alias of this map copies the file's content.
      if (value.is_string()) frame.size.bytes += value.get_ref<const std::string&>().size();
    }
    finish(std::move(frame.value), frame.anchor, frame.size);
  }

  // An alias copies a value of `size`: within the document's limits, or the document is refused
  // here.
  void count_copy(const Size& size, const YAML::Mark& mark) {
    copied_ += size;
    if (copied_.values > kMaxAliasValues) {
      throw DocumentRefused{
          at(mark), fmt::format("aliases copy {} values up to here, more than the limit of {} "
                                "(alias expansion): share fewer or smaller values through "
                                "aliases, or write them out",
                                copied_.values, kMaxAliasValues)};
    }
    if (copied_.bytes > kMaxAliasBytes) {
      throw DocumentRefused{
          at(mark), fmt::format("aliases copy {} bytes of text up to here, more than the limit of "
                                "{} (alias expansion): share fewer or smaller values through "
                                "aliases, or write them out",
                                copied_.bytes, kMaxAliasBytes)};
    }
  }

  // A value is complete: into its parent, or the document's.
  void finish(json value, YAML::anchor_t anchor, const Size& size) {
    if (anchor != 0) anchors_[anchor] = {value, size};
    if (frames_.empty()) {
      result_ = std::move(value);
      done_ = true;
      return;
    }
    Frame& frame = frames_.back();
    frame.size += size;
    if (frame.value.is_array()) {
      frame.value.push_back(std::move(value));
      return;
    }
    frame.next = Frame::Next::key;
    if (frame.file_reference) {
      FileReference reference;
      reference.target = frame.key.substr(0, frame.key.size() - kFileSuffix.size());
      reference.key = std::move(frame.key);
      reference.pointer = std::move(frame.child);
      reference.key_at = {map_.file(), frame.key_at.line, frame.key_at.column};
      reference.path = std::move(value);
      frame.file_references.push_back(std::move(reference));
      return;
    }
    frame.value[std::move(frame.key)] = std::move(value);
  }

  json read_value_file(const json& path_value, const std::string& key, const Location& where) {
    if (!path_value.is_string() || path_value.get<std::string>().empty()) {
      diagnostics_.error(where, fmt::format("{} must be a file path", key));
      return nullptr;
    }
    std::filesystem::path path(path_value.get<std::string>());
    if (path.is_relative()) {
      // systemd LoadCredential= puts secrets in $CREDENTIALS_DIRECTORY; look there first.
      std::error_code unreadable;  // then the file beside the config is tried, and its error shown
      if (options_.credentials_dir &&
          std::filesystem::exists(*options_.credentials_dir / path, unreadable)) {
        path = *options_.credentials_dir / path;
      } else {
        path = options_.base_dir / path;
      }
    }
    auto content = read_regular_file(path, kMaxValueBytes, "a value (config values)");
    if (!content) {
      const FileError& error = content.error();
      diagnostics_.error(
          where, fmt::format("cannot read {} '{}': {}{}", key, display_path(path), error.message,
                             error.kind == FileError::Kind::not_regular
                                 ? ": give the path of a file holding the value"
                             : error.kind == FileError::Kind::too_large ? ": shorten it"
                                                                        : ""));
      return nullptr;
    }
    std::string text = std::move(*content);
    if (text.ends_with("\r\n")) {
      text.resize(text.size() - 2);
    } else if (text.ends_with('\n')) {
      text.pop_back();
    }
    return text;
  }

  SourceMap& map_;
  const YamlReadOptions& options_;
  Diagnostics& diagnostics_;
  std::vector<Frame> frames_;  // the collections open, innermost last
  struct Anchored {
    json value;
    Size size;
  };
  std::unordered_map<YAML::anchor_t, Anchored> anchors_;
  Size copied_;         // by every alias of the document so far
  int skip_depth_ = 0;  // > 0: inside a skipped value, this many collections deep
  json result_;
  bool done_ = false;
};

}  // namespace

json yaml_scalar(const std::string& text) {
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    return nullptr;
  }
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  // Numbers: digits with an optional sign, '.', and exponent; nothing else ("inf", "1_000",
  // "0x10" and "15m" stay strings).
  const std::size_t start = text[0] == '+' || text[0] == '-' ? 1 : 0;
  if (start == text.size() ||
      text.find_first_not_of("0123456789.eE+-", start) != std::string::npos) {
    return text;
  }
  const char* first = text.data() + (text[0] == '+' ? 1 : 0);
  const char* last = text.data() + text.size();
  std::int64_t integer = 0;
  if (auto [end, ec] = std::from_chars(first, last, integer); ec == std::errc{} && end == last) {
    return integer;
  }
  double number = 0;
  if (auto [end, ec] = std::from_chars(first, last, number); ec == std::errc{} && end == last) {
    return number;
  }
  return text;
}

Location SourceMap::value(const std::string& pointer) const {
  std::string_view p = pointer;
  while (true) {
    // A lookup by view needs C++20's heterogeneous unordered lookup, which this map lacks.
    if (auto it = entries_.find(std::string(p)); it != entries_.end()) {
      return at(it->second.value);
    }
    if (p.empty()) return {file_, 0, 0};
    p = p.substr(0, p.rfind('/'));
  }
}

Location SourceMap::key(const std::string& pointer) const {
  if (auto it = entries_.find(pointer); it != entries_.end()) return at(it->second.key);
  return value(pointer);
}

int SourceMap::content_offset(const std::string& pointer) const {
  auto it = entries_.find(pointer);
  return it == entries_.end() ? 0 : it->second.content_offset;
}

void SourceMap::set(std::string pointer, Position value, Position key, int content_offset) {
  entries_.insert_or_assign(std::move(pointer), Entry{value, key, content_offset});
}

std::string child_pointer(const std::string& parent, const std::string& key) {
  std::string escaped;
  for (char c : key) {
    if (c == '~') {
      escaped += "~0";
    } else if (c == '/') {
      escaped += "~1";
    } else {
      escaped += c;
    }
  }
  return parent + "/" + escaped;
}

std::string child_pointer(const std::string& parent, std::size_t index) {
  return parent + "/" + std::to_string(index);
}

std::optional<json> read_yaml(const std::string& text, SourceMap& map,
                              const YamlReadOptions& options, Diagnostics& diagnostics) {
  // A task takes about 80 bytes of YAML and 5 entries: room for them up front, not rehashes.
  map.reserve(text.size() / 16);
  JsonBuilder builder(map, options, diagnostics);
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    parser.HandleNextDocument(builder);  // the first document, as YAML::Load reads
  } catch (const YAML::Exception& e) {
    const Position at = position_of(e.mark);
    diagnostics.error({map.file(), at.line, at.column}, fmt::format("malformed YAML: {}", e.msg));
    return std::nullopt;
  } catch (const DocumentRefused& refused) {
    diagnostics.error(refused.where, refused.message);
    return std::nullopt;
  }
  return builder.take();
}

std::optional<json> read_yaml_file(const std::filesystem::path& path,
                                   const std::string& display_name, SourceMap& map,
                                   const YamlReadOptions& options, Diagnostics& diagnostics) {
  auto content = read_regular_file(path, kMaxFileBytes, "a config file (config files)");
  if (!content) {
    const FileError& error = content.error();
    diagnostics.error(
        {display_name, 0, 0},
        fmt::format("cannot read the file: {}{}", error.message,
                    error.kind == FileError::Kind::not_regular ? ": give the path of a regular file"
                    : error.kind == FileError::Kind::too_large
                        ? ": split it (schedules: takes several files, a directory "
                          "or a glob)"
                        : ""));
    return std::nullopt;
  }
  return read_yaml(*content, map, options, diagnostics);
}

}  // namespace maintd::config
