#include "api/http_fetch.h"

#include <gtest/gtest.h>

namespace fourbrain::api {
namespace {

TEST(HttpUrl, ParsesHostPortAndTarget) {
  auto u = parse_http_url("http://Docs.Example.com:8080/a/b.pdf?x=1#frag");
  ASSERT_TRUE(u.is_ok()) << u.status().to_string();
  EXPECT_EQ(u->host, "Docs.Example.com");
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->target, "/a/b.pdf?x=1");
  u = parse_http_url("HTTP://127.0.0.1");
  ASSERT_TRUE(u.is_ok());
  EXPECT_EQ(u->port, 80);
  EXPECT_EQ(u->target, "/");
  u = parse_http_url("http://h?q");
  ASSERT_TRUE(u.is_ok());
  EXPECT_EQ(u->target, "/?q");
  u = parse_http_url("http://[::1]:9000/x");
  ASSERT_TRUE(u.is_ok());
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 9000);
}

TEST(HttpUrl, RefusesWhatItCannotFetchSafely) {
  EXPECT_EQ(parse_http_url("https://h/a.pdf").status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(parse_http_url("ftp://h/a.pdf").status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(parse_http_url("file:///etc/passwd").status().code(), StatusCode::kUnsupported);
  for (const char* bad :
       {"", "h/a.pdf", "http:/h/a", "http://user:pw@h/a", "http://h@evil/a", "http:///a",
        "http://h:0/", "http://h:65536/", "http://h:8o/", "http://h a/", "http://h\\@evil/",
        "http://[::1/", "http://[zz]/", "http://h%2e/", "http://h\r\n/"}) {
    auto u = parse_http_url(bad);
    EXPECT_EQ(u.status().code(), StatusCode::kInvalidArgument) << "'" << bad << "'";
  }
  auto u = parse_http_url("http://user@h/a");
  EXPECT_NE(u.status().message().find("user information"), std::string::npos);
}

TEST(HttpUrl, AllowListIsExactAndCaseInsensitive) {
  const std::vector<std::string> allow = {"docs.example.com", "127.0.0.1", "[::1]"};
  EXPECT_TRUE(host_allowed("DOCS.example.COM", allow));
  EXPECT_TRUE(host_allowed("127.0.0.1", allow));
  EXPECT_TRUE(host_allowed("::1", allow));
  EXPECT_FALSE(host_allowed("example.com", allow));
  EXPECT_FALSE(host_allowed("evil.docs.example.com", allow));
  EXPECT_FALSE(host_allowed("docs.example.com.evil", allow));
  EXPECT_FALSE(host_allowed("127.0.0.2", allow));
  EXPECT_FALSE(host_allowed("", {""}));

  EXPECT_TRUE(allowed_http_url("http://docs.example.com:81/a.pdf", allow).is_ok());
  Status s = allowed_http_url("http://other/a.pdf", allow).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("--docling-http-allow"), std::string::npos);
  s = allowed_http_url("http://docs.example.com/a.pdf", {}).status();
  EXPECT_NE(s.message().find("disabled"), std::string::npos);
  // The host after '@' is never what the check sees.
  EXPECT_FALSE(allowed_http_url("http://docs.example.com@evil/a.pdf", allow).is_ok());
}

TEST(HttpUrl, ResolvesRedirects) {
  auto base = parse_http_url("http://h:81/dir/a.pdf?x=1");
  ASSERT_TRUE(base.is_ok());
  auto r = resolve_redirect(*base, "/other.pdf");
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->host, "h");
  EXPECT_EQ(r->port, 81);
  EXPECT_EQ(r->target, "/other.pdf");
  r = resolve_redirect(*base, "b.pdf#top");
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->target, "/dir/b.pdf");
  r = resolve_redirect(*base, "?y=2");
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->target, "/dir/a.pdf?y=2");
  r = resolve_redirect(*base, "http://elsewhere/c.pdf");
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->host, "elsewhere");
  EXPECT_EQ(r->port, 80);
  r = resolve_redirect(*base, "//other:82/d");
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->host, "other");
  EXPECT_EQ(r->port, 82);
  EXPECT_EQ(resolve_redirect(*base, "https://h/a").status().code(), StatusCode::kUnsupported);
  EXPECT_FALSE(resolve_redirect(*base, "").is_ok());
}

TEST(HttpUrl, ChecksHeaders) {
  EXPECT_TRUE(check_http_headers({{"Authorization", "Bearer x"}, {"X-Api-Key", "k"}}).is_ok());
  EXPECT_FALSE(check_http_headers({{"Bad Name", "v"}}).is_ok());
  EXPECT_FALSE(check_http_headers({{"", "v"}}).is_ok());
  EXPECT_FALSE(check_http_headers({{"X", "a\r\nHost: evil"}}).is_ok());
}

TEST(HttpFetch, RefusedConnectionIsAClearError) {
  HttpFetchOptions options;
  options.allow = {"127.0.0.1"};
  options.time_limit = std::chrono::milliseconds(5000);
  auto r = fetch_http("http://127.0.0.1:1/a.pdf", {}, options);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("connect"), std::string::npos) << r.status().message();
  EXPECT_FALSE(fetch_http("http://10.0.0.1/a.pdf", {}, options).is_ok());  // not allowed
}

}  // namespace
}  // namespace fourbrain::api
