#include "docling/sandbox.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "docling/export/exporters.h"
#include "formats/json.h"
#include "formats/json_writer.h"

extern char** environ;

namespace fourbrain::docling {
namespace {

using Clock = std::chrono::steady_clock;

const char* ocr_name(OcrMode mode) {
  return mode == OcrMode::kForce ? "force" : mode == OcrMode::kOff ? "off" : "auto";
}

std::string request_header(const ConvertOptions& o, const SandboxLimits& limits, size_t n_bytes) {
  formats::JsonWriter w;
  w.begin_object();
  w.key("filename").value(o.filename);
  w.key("first_page").value(o.first_page).key("last_page").value(o.last_page);
  w.key("ocr").value(ocr_name(o.ocr)).key("ocr_languages").value(o.ocr_languages);
  w.key("max_file_bytes").value(static_cast<uint64_t>(o.max_file_bytes));
  w.key("max_pages").value(o.max_pages);
  w.key("page_ms").value(static_cast<int64_t>(o.page_time_limit.count()));
  w.key("document_ms").value(static_cast<int64_t>(o.document_time_limit.count()));
  w.key("max_memory").value(static_cast<uint64_t>(limits.max_memory_bytes));
  w.key("bytes").value(static_cast<uint64_t>(n_bytes));
  w.end_object();
  return w.str() + "\n";
}

Status write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return unavailable(std::string("the converter process stopped reading: ") + std::strerror(errno));
    data += n;
    size -= static_cast<size_t>(n);
  }
  return Status::ok();
}

// Reads `fd` to EOF, or until the deadline (false).
bool read_until(int fd, Clock::time_point deadline, std::string* out) {
  char buf[1 << 16];
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1000)));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return true;
    out->append(buf, static_cast<size_t>(n));
  }
}

Result<ConversionResult> parse_reply(const std::string& reply) {
  size_t eol = reply.find('\n');
  if (eol == std::string::npos) return internal_error("the converter process sent no result");
  FB_ASSIGN_OR_RETURN(formats::JsonValue head, formats::JsonValue::parse(std::string_view(reply).substr(0, eol), "converter reply"));
  if (!head.get_bool("ok").value_or(false)) {
    auto code = static_cast<StatusCode>(head.get_int("code").value_or(static_cast<int>(StatusCode::kInternal)));
    return Status(code, head.get_string("message").value_or("conversion failed"));
  }
  ConversionResult result;
  std::string status = head.get_string("status").value_or("failure");
  result.status = status == "success"           ? ConversionStatus::kSuccess
                  : status == "partial_success" ? ConversionStatus::kPartialSuccess
                                                : ConversionStatus::kFailure;
  result.pages_converted = static_cast<int>(head.get_int("pages_converted").value_or(0));
  result.pages_ocr = static_cast<int>(head.get_int("pages_ocr").value_or(0));
  result.seconds = head.get_double("seconds").value_or(0);
  if (auto errors = head.find("errors"); errors && errors->is_array()) {
    for (size_t i = 0; i < errors->size(); ++i) {
      formats::JsonValue e = errors->at(i);
      result.errors.push_back({static_cast<int>(e.get_int("page_no").value_or(0)),
                               e.get_string("message").value_or("")});
    }
  }
  FB_ASSIGN_OR_RETURN(result.document, from_docling_json(std::string_view(reply).substr(eol + 1)));
  return result;
}

void ignore_sigpipe() {
  static std::once_flag once;
  std::call_once(once, [] { ::signal(SIGPIPE, SIG_IGN); });
}

// Caps this (child) process: address space grows by at most `extra` bytes beyond what it
// has mapped now; CPU time a little past the document's limit.
void limit_self(size_t extra, int64_t document_ms) {
  long pages = 0;
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld", &pages) != 1) pages = 0;
    std::fclose(f);
  }
  rlimit as{};
  as.rlim_cur = as.rlim_max = static_cast<rlim_t>(pages) * static_cast<rlim_t>(::sysconf(_SC_PAGESIZE)) + extra;
  ::setrlimit(RLIMIT_AS, &as);
  rlimit cpu{};
  cpu.rlim_cur = cpu.rlim_max = static_cast<rlim_t>(document_ms / 1000 + 5);
  ::setrlimit(RLIMIT_CPU, &cpu);
}

}  // namespace

std::string self_executable() {
  char path[4096];
  ssize_t n = ::readlink("/proc/self/exe", path, sizeof(path) - 1);
  return n > 0 ? std::string(path, static_cast<size_t>(n)) : std::string();
}

Result<ConversionResult> convert_pdf_sandboxed(const std::string& worker_exe, std::string bytes,
                                               const ConvertOptions& options,
                                               const SandboxLimits& limits) {
  if (bytes.size() > options.max_file_bytes) {
    return invalid_argument("the document has " + std::to_string(bytes.size()) +
                            " bytes, over the limit of " + std::to_string(options.max_file_bytes));
  }
  ignore_sigpipe();
  Clock::time_point deadline = Clock::now() + options.document_time_limit + std::chrono::seconds(2);
  int to_child[2], from_child[2];
  if (::pipe2(to_child, O_CLOEXEC) != 0) return internal_error("pipe failed");
  if (::pipe2(from_child, O_CLOEXEC) != 0) {
    ::close(to_child[0]);
    ::close(to_child[1]);
    return internal_error("pipe failed");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, to_child[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, from_child[1], STDOUT_FILENO);
  std::string arg0 = worker_exe, arg1 = "docling-worker";
  char* argv[] = {arg0.data(), arg1.data(), nullptr};
  pid_t pid = 0;
  int spawned = ::posix_spawn(&pid, worker_exe.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(to_child[0]);
  ::close(from_child[1]);
  if (spawned != 0) {
    ::close(to_child[1]);
    ::close(from_child[0]);
    return internal_error("cannot start the converter process " + worker_exe + ": " + std::strerror(spawned));
  }
  std::string header = request_header(options, limits, bytes.size());
  Status sent = write_all(to_child[1], header.data(), header.size());
  if (sent.is_ok()) sent = write_all(to_child[1], bytes.data(), bytes.size());
  ::close(to_child[1]);
  std::string reply;
  bool finished = read_until(from_child[0], deadline, &reply);
  ::close(from_child[0]);
  if (!finished) ::kill(pid, SIGKILL);
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (!finished) {
    return unavailable("the document took longer than its time limit of " +
                       std::to_string(options.document_time_limit.count() / 1000) + " s");
  }
  if (WIFSIGNALED(wstatus)) {
    int sig = WTERMSIG(wstatus);
    if (sig == SIGXCPU) return unavailable("the document used more CPU time than its limit");
    return invalid_argument(std::string("the PDF crashed the converter (signal ") + std::to_string(sig) +
                            (sig == SIGABRT ? ", likely out of its memory limit)" : ")"));
  }
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    return internal_error("the converter process failed (exit " + std::to_string(WEXITSTATUS(wstatus)) + ")");
  }
  return parse_reply(reply);
}

int run_sandbox_worker(std::FILE* in, std::FILE* out) {
  char* line = nullptr;
  size_t cap = 0;
  ssize_t n = ::getline(&line, &cap, in);
  std::string header = n > 0 ? std::string(line, static_cast<size_t>(n)) : std::string();
  std::free(line);
  auto reply_error = [&](const Status& s) {
    formats::JsonWriter w;
    w.begin_object().key("ok").value(false).key("code").value(static_cast<int>(s.code()));
    w.key("message").value(s.message()).end_object();
    std::fprintf(out, "%s\n", w.str().c_str());
    return 0;
  };
  auto head = formats::JsonValue::parse(header, "converter request");
  if (!head.is_ok()) return reply_error(head.status());
  ConvertOptions o;
  o.filename = head->get_string("filename").value_or("document.pdf");
  o.first_page = static_cast<int>(head->get_int("first_page").value_or(1));
  o.last_page = static_cast<int>(head->get_int("last_page").value_or(INT_MAX));
  auto mode = parse_ocr_mode(head->get_string("ocr").value_or("auto"));
  if (!mode.is_ok()) return reply_error(mode.status());
  o.ocr = *mode;
  o.ocr_languages = head->get_string("ocr_languages").value_or("eng");
  o.max_file_bytes = static_cast<size_t>(head->get_int("max_file_bytes").value_or(static_cast<int64_t>(o.max_file_bytes)));
  o.max_pages = static_cast<int>(head->get_int("max_pages").value_or(o.max_pages));
  o.page_time_limit = std::chrono::milliseconds(head->get_int("page_ms").value_or(o.page_time_limit.count()));
  o.document_time_limit = std::chrono::milliseconds(head->get_int("document_ms").value_or(o.document_time_limit.count()));
  int64_t size = head->get_int("bytes").value_or(-1);
  if (size < 0 || static_cast<size_t>(size) > o.max_file_bytes) {
    return reply_error(invalid_argument("bad document size in the converter request"));
  }
  std::string bytes(static_cast<size_t>(size), '\0');
  if (size > 0 && std::fread(bytes.data(), 1, bytes.size(), in) != bytes.size()) {
    return reply_error(invalid_argument("the converter request was cut short"));
  }
  limit_self(static_cast<size_t>(head->get_int("max_memory").value_or(int64_t{2} << 30)),
             o.document_time_limit.count());
  auto result = convert_pdf(std::move(bytes), o);
  if (!result.is_ok()) return reply_error(result.status());
  formats::JsonWriter w;
  w.begin_object().key("ok").value(true).key("status").value(status_name(result->status));
  w.key("pages_converted").value(result->pages_converted).key("pages_ocr").value(result->pages_ocr);
  w.key("seconds").value(result->seconds).key("errors").begin_array();
  for (const PageError& e : result->errors) {
    w.begin_object().key("page_no").value(e.page_no).key("message").value(e.message).end_object();
  }
  w.end_array().end_object();
  std::fprintf(out, "%s\n", w.str().c_str());
  std::string json = to_docling_json(result->document);
  std::fwrite(json.data(), 1, json.size(), out);
  std::fflush(out);
  return 0;
}

}  // namespace fourbrain::docling
