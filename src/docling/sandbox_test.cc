// The parent side of sandboxed conversion against real child processes: stand-in workers
// (shell scripts) that crash, hang, exit badly or answer, and the real fourbrain binary
// when FOURBRAIN_BINARY names it (ctest sets it).
#include "docling/sandbox.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "base/file.h"
#include "docling/export/exporters.h"

namespace fourbrain::docling {
namespace {

std::string script(const std::string& name, const std::string& body) {
  std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
  ::chmod(path.c_str(), 0755);
  return path;
}

const std::string kPdf = "%PDF-1.4\n% a stand-in body\n";

TEST(Sandbox, CrashingWorkerIsAClearError) {
  auto r = convert_pdf_sandboxed(script("crash.sh", "cat > /dev/null; kill -SEGV $$"), kPdf, {});
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("crashed the converter (signal 11)"), std::string::npos)
      << r.status().message();
}

TEST(Sandbox, HangingWorkerIsKilledAtTheTimeLimit) {
  ConvertOptions options;
  options.document_time_limit = std::chrono::milliseconds(200);
  auto start = std::chrono::steady_clock::now();
  auto r = convert_pdf_sandboxed(script("hang.sh", "cat > /dev/null; exec sleep 60"), kPdf, options);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_LT(seconds, 10);  // the limit plus the parent's 2 s grace, not the child's 60 s
}

TEST(Sandbox, FailingOrSilentWorkers) {
  auto bad_exit = convert_pdf_sandboxed(script("exit3.sh", "cat > /dev/null; exit 3"), kPdf, {});
  ASSERT_FALSE(bad_exit.is_ok());
  EXPECT_NE(bad_exit.status().message().find("exit 3"), std::string::npos);
  auto silent = convert_pdf_sandboxed(script("silent.sh", "cat > /dev/null"), kPdf, {});
  ASSERT_FALSE(silent.is_ok());
  auto garbage = convert_pdf_sandboxed(script("garbage.sh", "cat > /dev/null; echo '{nope'"), kPdf, {});
  ASSERT_FALSE(garbage.is_ok());
  auto missing = convert_pdf_sandboxed("/nonexistent/fourbrain", kPdf, {});
  ASSERT_FALSE(missing.is_ok());
  // A worker that answers with an error Status: the code and message come through.
  auto refused = convert_pdf_sandboxed(
      script("refuse.sh", "cat > /dev/null; echo '{\"ok\":false,\"code\":1,\"message\":\"no thanks\"}'"), kPdf, {});
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.status().message(), "no thanks");
}

TEST(Sandbox, RealWorkerMatchesInProcessConversion) {
  const char* binary = std::getenv("FOURBRAIN_BINARY");
  if (binary == nullptr) GTEST_SKIP() << "FOURBRAIN_BINARY not set";
  auto bytes = read_file(std::string(FOURBRAIN_SOURCE_DIR) + "/tests/data/docling/corpus/tables_figures.pdf");
  ASSERT_TRUE(bytes.is_ok());
  ConvertOptions options;
  options.filename = "tables_figures.pdf";
  auto direct = convert_pdf(*bytes, options);
  auto isolated = convert_pdf_sandboxed(binary, *bytes, options);
  ASSERT_TRUE(direct.is_ok() && isolated.is_ok()) << isolated.status().to_string();
  EXPECT_EQ(to_docling_json(isolated->document), to_docling_json(direct->document));
  EXPECT_EQ(isolated->pages_converted, direct->pages_converted);
  auto broken = convert_pdf_sandboxed(binary, "%PDF-1.4\ngarbage", options);
  ASSERT_FALSE(broken.is_ok());
  EXPECT_EQ(broken.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fourbrain::docling
