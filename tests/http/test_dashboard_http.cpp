// The dashboard over real HTTP (the API tests' daemon and server, tests/http/api_fixture.hpp):
// login and its cookies, redirects, the CSRF and Origin checks on every write (a refused write
// changes nothing), the read-only token, flash messages, and the pages' escaping. Plus the
// small rules of http/dashboard.hpp as unit tests.
#include <doctest/doctest.h>

#include <regex>

#include "api_fixture.hpp"
#include "http/auth.hpp"
#include "http/dashboard.hpp"
#include "http/html.hpp"
#include "service/service.hpp"

using maintd::testing::ApiFixture;
using maintd::testing::bearer;
using maintd::testing::Headers;
using maintd::testing::kReadOnlyToken;
using maintd::testing::kToken;
namespace dash = maintd::http::dashboard;
namespace store = maintd::store;

namespace {

// A response with every header kept in order (Set-Cookie repeats, which the API tests' client
// folds into one).
struct RawResponse {
  unsigned status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string body;

  std::string header(const std::string& name) const {
    for (const auto& [key, value] : headers) {
      if (key == name) return value;
    }
    return {};
  }
  std::vector<std::string> set_cookies() const {
    std::vector<std::string> out;
    for (const auto& [key, value] : headers) {
      if (key == "set-cookie") out.push_back(value);
    }
    return out;
  }
  // The Set-Cookie line for cookie `name`, "" when none.
  std::string set_cookie(const std::string& name) const {
    for (const auto& line : set_cookies()) {
      if (line.rfind(name + "=", 0) == 0) return line;
    }
    return {};
  }
  // The value a Set-Cookie gives cookie `name`.
  std::string cookie_value(const std::string& name) const {
    const std::string line = set_cookie(name);
    if (line.empty()) return {};
    return line.substr(name.size() + 1, line.find(';') - name.size() - 1);
  }
  bool contains(const std::string& text) const { return body.find(text) != std::string::npos; }
};

RawResponse send(unsigned short port, const std::string& method, const std::string& target,
                 const std::string& body = {}, const Headers& headers = {}) {
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  if (method == "POST") {
    request += "Content-Type: application/x-www-form-urlencoded\r\n";
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "Connection: close\r\n\r\n" + body;
  maintd::testing::Connection connection(port);
  const std::string raw = connection.raw(request);

  RawResponse response;
  const auto head_end = raw.find("\r\n\r\n");
  REQUIRE(head_end != std::string::npos);
  std::size_t line_start = 0;
  bool first = true;
  while (line_start < head_end) {
    auto line_end = raw.find("\r\n", line_start);
    const std::string line = raw.substr(line_start, line_end - line_start);
    line_start = line_end + 2;
    if (first) {
      response.status = static_cast<unsigned>(std::stoul(line.substr(9, 3)));
      first = false;
      continue;
    }
    const auto colon = line.find(':');
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(value.begin());
    response.headers.emplace_back(name, value);
  }
  response.body = raw.substr(head_end + 4);
  return response;
}

std::string form(std::initializer_list<std::pair<std::string, std::string>> fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += maintd::http::html::url_encode(name) + "=" + maintd::http::html::url_encode(value);
  }
  return out;
}

// A browser that logged in: its cookies.
struct Session {
  std::string token;
  std::string csrf;
  std::string cookie_header() const { return "maintd_token=" + token + "; maintd_csrf=" + csrf; }
  Headers cookies(std::string extra = {}) const { return {{"Cookie", cookie_header() + extra}}; }
};

Session log_in(ApiFixture& f, const std::string& token) {
  const auto response =
      send(f.port, "POST", "/login", form({{"token", token}}), {{"Origin", "http://127.0.0.1"}});
  REQUIRE(response.status == 303);
  Session session{response.cookie_value("maintd_token"), response.cookie_value("maintd_csrf")};
  REQUIRE(session.token == token);
  REQUIRE(session.csrf.size() == 64);
  return session;
}

std::string flash_of(const RawResponse& response) {
  return maintd::http::url_decode(response.cookie_value("maintd_flash"), false);
}

}  // namespace

TEST_CASE("dashboard: pages redirect to /login without a credential, the form is served") {
  ApiFixture f;
  for (const std::string target : {"/", "/tasks/nightly", "/runs/1"}) {
    const auto response = send(f.port, "GET", target);
    CAPTURE(target);
    CHECK(response.status == 303);
    CHECK(response.header("location") == "/login");
  }
  // A stale or forged token cookie is no credential either.
  CHECK(send(f.port, "GET", "/", {}, {{"Cookie", "maintd_token=nope"}}).header("location") ==
        "/login");

  const auto login = send(f.port, "GET", "/login");
  CHECK(login.status == 200);
  CHECK(login.header("content-type") == "text/html; charset=utf-8");
  CHECK(login.contains("<form method=\"post\" action=\"/login\">"));
  CHECK(login.contains("name=\"token\""));
  CHECK(login.header("cache-control") == "no-store");
  CHECK(login.header("content-security-policy").find("default-src 'none'") != std::string::npos);
  CHECK(login.header("x-frame-options") == "DENY");
}

TEST_CASE("dashboard: a wrong token is a 401 page and sets no cookie") {
  ApiFixture f;
  for (const std::string& token :
       {std::string("wrong"), std::string(), std::string(kToken) + "x"}) {
    const auto response = send(f.port, "POST", "/login", form({{"token", token}}));
    CAPTURE(token);
    CHECK(response.status == 401);
    CHECK(response.contains("Wrong token."));
    CHECK(response.contains("<form method=\"post\" action=\"/login\">"));
    CHECK(response.set_cookies().empty());
  }
  // A cross-site login form (login CSRF) is refused before the token is looked at.
  const auto cross = send(f.port, "POST", "/login", form({{"token", kToken}}),
                          {{"Origin", "https://evil.example"}});
  CHECK(cross.status == 403);
  CHECK(cross.set_cookies().empty());
}

TEST_CASE("dashboard: login sets HttpOnly SameSite=Strict cookies and redirects to /") {
  ApiFixture f;
  const auto response =
      send(f.port, "POST", "/login", form({{"token", kToken}}), {{"Origin", "http://127.0.0.1"}});
  CHECK(response.status == 303);
  CHECK(response.header("location") == "/");
  CHECK(response.set_cookie("maintd_token") ==
        std::string("maintd_token=") + kToken + "; Path=/; HttpOnly; SameSite=Strict");
  const std::string csrf = response.cookie_value("maintd_csrf");
  CHECK(std::regex_match(csrf, std::regex("[0-9a-f]{64}")));
  CHECK(response.set_cookie("maintd_csrf") == "maintd_csrf=" + csrf + "; Path=/; SameSite=Strict");
  // Every login gets a new CSRF token.
  CHECK(log_in(f, kToken).csrf != csrf);

  const Session session{kToken, csrf};
  const auto page = send(f.port, "GET", "/", {}, session.cookies());
  CHECK(page.status == 200);
  CHECK(page.contains("data-task=\"nightly\""));
  CHECK(page.contains("data-task=\"db-task\""));
  CHECK(page.contains("action=\"/ui/tasks/nightly/run\""));
  CHECK(page.contains("name=\"csrf\" value=\"" + csrf + "\""));
  CHECK(page.contains("action=\"/logout\""));
  CHECK(page.set_cookie("maintd_csrf").empty());  // it has one already

  const auto out = send(f.port, "POST", "/logout", form({{"csrf", csrf}}), session.cookies());
  CHECK(out.status == 303);
  CHECK(out.header("location") == "/login");
  CHECK(out.set_cookie("maintd_token").find("Max-Age=0") != std::string::npos);
  CHECK(out.set_cookie("maintd_csrf").find("Max-Age=0") != std::string::npos);
}

TEST_CASE("dashboard: Run now starts a run and says so on the page it returns to") {
  ApiFixture f;
  const Session session = log_in(f, kToken);
  const auto response = send(f.port, "POST", "/ui/tasks/nightly/run",
                             form({{"csrf", session.csrf}, {"return", "/"}, {"dry_run", "0"}}),
                             {{"Cookie", session.cookie_header()}, {"Origin", "http://127.0.0.1"}});
  CHECK(response.status == 303);
  CHECK(response.header("location") == "/");
  const auto runs = f.all_runs();
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].task_name == "nightly");
  CHECK(runs[0].trigger == store::Trigger::manual);
  CHECK_FALSE(runs[0].dry_run);
  const std::string flash = flash_of(response);
  CHECK(flash == "ok:run " + std::to_string(runs[0].id) + " of nightly started");
  CHECK(response.set_cookie("maintd_flash").find("HttpOnly; SameSite=Strict") != std::string::npos);

  // The next page shows it once and clears it.
  const auto page =
      send(f.port, "GET", "/", {},
           session.cookies("; maintd_flash=" + response.cookie_value("maintd_flash")));
  CHECK(page.contains("<div class=\"flash ok\" role=\"status\">run " + std::to_string(runs[0].id) +
                      " of nightly started</div>"));
  CHECK(page.set_cookie("maintd_flash").find("Max-Age=0") != std::string::npos);

  // A dry run, from the task's page, goes back to the task's page (once the first run ended:
  // the task's concurrency is forbid).
  f.wait_finished(runs[0].id);
  const auto dry =
      send(f.port, "POST", "/ui/tasks/nightly/run",
           form({{"csrf", session.csrf}, {"return", "/tasks/nightly"}, {"dry_run", "1"}}),
           session.cookies());
  CHECK(dry.status == 303);
  CHECK(dry.header("location") == "/tasks/nightly");
  CHECK(flash_of(dry).rfind("ok:dry run ", 0) == 0);
  REQUIRE(f.all_runs().size() == 2);
  CHECK(f.all_runs()[0].dry_run);

  // The runs show on the task's page with their events, and on their own pages.
  const auto id = f.all_runs()[1].id;
  f.wait_finished(id);
  const auto task_page = send(f.port, "GET", "/tasks/nightly", {}, session.cookies());
  CHECK(task_page.status == 200);
  CHECK(task_page.contains("data-run=\"" + std::to_string(id) + "\" data-status=\"completed\""));
  CHECK(task_page.contains("debug.noop started"));
  const auto run_page = send(f.port, "GET", "/runs/" + std::to_string(id), {}, session.cookies());
  CHECK(run_page.status == 200);
  CHECK(run_page.contains("completed"));
  CHECK(send(f.port, "GET", "/runs/999999", {}, session.cookies()).status == 404);
  CHECK(send(f.port, "GET", "/runs/abc", {}, session.cookies()).status == 404);
  CHECK(send(f.port, "GET", "/tasks/nope", {}, session.cookies()).status == 404);
}

TEST_CASE("dashboard: a refused run (forbid, one in progress) comes back as an error flash") {
  ApiFixture f;
  const Session session = log_in(f, kToken);
  const auto body = form({{"csrf", session.csrf}, {"return", "/"}});
  const auto first = send(f.port, "POST", "/ui/tasks/slow/run", body, session.cookies());
  REQUIRE(flash_of(first).rfind("ok:run ", 0) == 0);
  const auto second = send(f.port, "POST", "/ui/tasks/slow/run", body, session.cookies());
  CHECK(second.status == 303);
  const auto id = f.all_runs().at(0).id;
  const std::string refusal = flash_of(second);
  const std::string prefix = "error:previous run " + std::to_string(id) + " still ";
  CHECK(refusal.rfind(prefix, 0) == 0);
  CHECK(refusal.find("(concurrency: forbid)") != std::string::npos);
  CHECK(f.all_runs().size() == 1);
  const auto page = send(f.port, "GET", "/", {},
                         session.cookies("; maintd_flash=" + second.cookie_value("maintd_flash")));
  CHECK(page.contains("<div class=\"flash error\" role=\"alert\">previous run " +
                      std::to_string(id) + " still"));
  f.wait_finished(id);
}

TEST_CASE("dashboard: a write without the CSRF token, or from another site, is a 403") {
  ApiFixture f;
  const Session session = log_in(f, kToken);
  struct Attempt {
    const char* what;
    std::string body;
    Headers headers;
  };
  const std::vector<Attempt> attempts = {
      {"no csrf field", form({{"return", "/"}}), session.cookies()},
      {"an empty csrf field", form({{"csrf", ""}}), session.cookies()},
      {"a wrong csrf field", form({{"csrf", std::string(64, 'a')}}), session.cookies()},
      {"no csrf cookie",
       form({{"csrf", session.csrf}}),
       {{"Cookie", "maintd_token=" + session.token}}},
      {"a cross-site Origin",
       form({{"csrf", session.csrf}}),
       {{"Cookie", session.cookie_header()}, {"Origin", "https://evil.example"}}},
      {"Origin null",
       form({{"csrf", session.csrf}}),
       {{"Cookie", session.cookie_header()}, {"Origin", "null"}}},
      {"a cross-site Referer",
       form({{"csrf", session.csrf}}),
       {{"Cookie", session.cookie_header()}, {"Referer", "https://evil.example/page"}}},
      {"another port on this host",
       form({{"csrf", session.csrf}}),
       {{"Cookie", session.cookie_header()}, {"Origin", "http://127.0.0.1:9999"}}},
  };
  for (const auto& attempt : attempts) {
    for (const std::string target :
         {"/ui/tasks/nightly/run", "/ui/tasks/nightly/disable", "/ui/runs/1/cancel"}) {
      CAPTURE(attempt.what);
      CAPTURE(target);
      const auto response = send(f.port, "POST", target, attempt.body, attempt.headers);
      CHECK(response.status == 403);
      CHECK(response.header("content-type") == "text/html; charset=utf-8");
      CHECK(response.contains("Nothing was changed."));
      CHECK(response.set_cookie("maintd_flash").empty());
    }
  }
  CHECK(f.all_runs().empty());
  CHECK(f.row("nightly")->enabled);

  // The same form from this server's own page goes through.
  const auto ok = send(f.port, "POST", "/ui/tasks/nightly/run", form({{"csrf", session.csrf}}),
                       {{"Cookie", session.cookie_header()},
                        {"Origin", "http://127.0.0.1"},
                        {"Referer", "http://127.0.0.1/tasks/nightly"}});
  CHECK(ok.status == 303);
  CHECK(f.all_runs().size() == 1);
}

TEST_CASE("dashboard: the read-only token sees no buttons and its writes are refused") {
  ApiFixture f;
  const Session session = log_in(f, kReadOnlyToken);
  const auto page = send(f.port, "GET", "/", {}, session.cookies());
  CHECK(page.status == 200);
  CHECK(page.contains("data-task=\"nightly\""));
  CHECK(page.contains("read-only access"));
  CHECK_FALSE(page.contains("data-action"));
  CHECK_FALSE(page.contains("/ui/"));
  for (const std::string target : {"/ui/tasks/nightly/run", "/ui/tasks/nightly/disable"}) {
    const auto response =
        send(f.port, "POST", target, form({{"csrf", session.csrf}}), session.cookies());
    CHECK(response.status == 403);
    CHECK(response.contains("read-only token"));
  }
  CHECK(f.all_runs().empty());
  CHECK(f.row("nightly")->enabled);
}

TEST_CASE("dashboard: without being logged in a write is a 401 page") {
  ApiFixture f;
  const auto response = send(f.port, "POST", "/ui/tasks/nightly/run", form({{"csrf", "x"}}),
                             {{"Cookie", "maintd_csrf=x"}});
  CHECK(response.status == 401);
  CHECK(response.contains("href=\"/login\""));
  CHECK(f.all_runs().empty());
}

TEST_CASE("dashboard: Disable and Enable write the override, return stays on this server") {
  ApiFixture f;
  const Session session = log_in(f, kToken);
  const auto off =
      send(f.port, "POST", "/ui/tasks/nightly/disable",
           form({{"csrf", session.csrf}, {"return", "//evil.example/x"}}), session.cookies());
  CHECK(off.status == 303);
  CHECK(off.header("location") == "/tasks/nightly");  // not the other site
  CHECK(flash_of(off) == "ok:task nightly disabled");
  CHECK_FALSE(f.row("nightly")->enabled);
  CHECK(f.row("nightly")->enabled_override == false);

  const auto on =
      send(f.port, "POST", "/ui/tasks/nightly/enable",
           form({{"csrf", session.csrf}, {"return", "https://evil.example/"}}), session.cookies());
  CHECK(on.header("location") == "/tasks/nightly");
  CHECK(flash_of(on) == "ok:task nightly enabled");
  CHECK(f.row("nightly")->enabled);

  const auto unknown = send(f.port, "POST", "/ui/tasks/nope/disable",
                            form({{"csrf", session.csrf}, {"return", "/"}}), session.cookies());
  CHECK(unknown.status == 303);
  CHECK(flash_of(unknown) == "error:there is no task 'nope'");
}

TEST_CASE("dashboard: a Bearer token may post without the CSRF token (not a browser)") {
  ApiFixture f;
  const auto response = send(f.port, "POST", "/ui/tasks/nightly/run", {}, bearer());
  CHECK(response.status == 303);
  CHECK(f.all_runs().size() == 1);
}

TEST_CASE("dashboard: names, errors and events from the state database are escaped") {
  ApiFixture f;
  const Session session = log_in(f, kToken);
  const auto unknown =
      send(f.port, "GET", "/tasks/%3Cscript%3Ealert(%22x%22)", {}, session.cookies());
  CHECK(unknown.status == 404);
  CHECK(unknown.contains("&lt;script&gt;alert(&quot;x&quot;)"));
  CHECK_FALSE(unknown.contains("<script>"));

  // Runs of a task that is not defined (any more): its name, error and events are shown.
  const std::string hostile = "<img src=x onerror=alert(1)>";
  store::NewRun run;
  run.task_name = hostile;
  run.task_type = "debug.noop";
  const auto id = f.daemon->runs().create_run(run);
  f.daemon->runs().add_event(id, "error", "<b>boom</b>", "</td><script>alert(2)</script>");
  REQUIRE(f.daemon->runs().transition(id, store::RunStatus::pending, store::RunStatus::cancelled,
                                      "<i>why</i>"));
  const auto task_page = send(f.port, "GET", "/tasks/" + maintd::http::html::url_encode(hostile),
                              {}, session.cookies());
  CHECK(task_page.status == 200);
  CHECK(task_page.contains("not defined any more"));
  CHECK(task_page.contains("&lt;img src=x onerror=alert(1)&gt;"));
  CHECK(task_page.contains("&lt;/td&gt;&lt;script&gt;alert(2)&lt;/script&gt;"));
  CHECK(task_page.contains("&lt;i&gt;why&lt;/i&gt;"));
  const auto run_page = send(f.port, "GET", "/runs/" + std::to_string(id), {}, session.cookies());
  CHECK(run_page.status == 200);
  CHECK(run_page.contains("href=\"/tasks/%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E\""));
  for (const auto* body : {&task_page.body, &run_page.body}) {
    CHECK(body->find("<img") == std::string::npos);
    // The one script is the dashboard's own, from this server (the pages update themselves).
    const auto script = body->find("<script");
    CHECK(body->substr(script, 33) == "<script src=\"/assets/dashboard.js");
    CHECK(body->find("<script", script + 1) == std::string::npos);
    CHECK(body->find("<b>") == std::string::npos);
    CHECK(body->find("<i>") == std::string::npos);
  }
}

TEST_CASE("dashboard: on loopback without tokens, pages are open and forms still need CSRF") {
  ApiFixture f(maintd::config::HttpSettings{});
  const auto page = send(f.port, "GET", "/");
  CHECK(page.status == 200);
  const std::string csrf = page.cookie_value("maintd_csrf");
  CHECK(csrf.size() == 64);  // the page gives the browser one for its forms
  CHECK(page.contains("name=\"csrf\" value=\"" + csrf + "\""));
  CHECK_FALSE(page.contains("action=\"/logout\""));
  CHECK(send(f.port, "GET", "/login").header("location") == "/");

  CHECK(send(f.port, "POST", "/ui/tasks/nightly/run", form({{"csrf", csrf}})).status == 403);
  CHECK(send(f.port, "POST", "/ui/tasks/nightly/run", form({{"csrf", csrf}}),
             {{"Cookie", "maintd_csrf=" + csrf}, {"Origin", "https://evil.example"}})
            .status == 403);
  CHECK(f.all_runs().empty());
  CHECK(send(f.port, "POST", "/ui/tasks/nightly/run", form({{"csrf", csrf}}),
             {{"Cookie", "maintd_csrf=" + csrf}})
            .status == 303);
  CHECK(f.all_runs().size() == 1);
}

TEST_CASE("dashboard: same_origin, safe_return and cookie_safe") {
  maintd::http::Request request;
  request.headers["host"] = "127.0.0.1:8089";
  CHECK(dash::same_origin(request));  // neither header: not a browser's cross-site form
  request.headers["origin"] = "http://127.0.0.1:8089";
  CHECK(dash::same_origin(request));
  request.headers["origin"] = "http://127.0.0.1:8090";
  CHECK_FALSE(dash::same_origin(request));
  request.headers["origin"] = "null";
  CHECK_FALSE(dash::same_origin(request));
  request.headers.erase("origin");
  request.headers["referer"] = "http://127.0.0.1:8089/tasks/a?x=1";
  CHECK(dash::same_origin(request));
  request.headers["referer"] = "http://evil.example/127.0.0.1:8089";
  CHECK_FALSE(dash::same_origin(request));

  CHECK(dash::safe_return("/tasks/a", "/") == "/tasks/a");
  CHECK(dash::safe_return("", "/x") == "/x");
  CHECK(dash::safe_return("//evil.example", "/x") == "/x");
  CHECK(dash::safe_return("/\\evil.example", "/x") == "/x");
  CHECK(dash::safe_return("https://evil.example", "/x") == "/x");
  CHECK(dash::safe_return("/a\r\nSet-Cookie: x=1", "/x") == "/x");

  CHECK(dash::cookie_safe(kToken));
  CHECK(dash::cookie_safe("abc+/=_-"));
  CHECK_FALSE(dash::cookie_safe("a b"));
  CHECK_FALSE(dash::cookie_safe("a;b"));
  CHECK_FALSE(dash::cookie_safe("a\"b"));
}

TEST_CASE("dashboard: a run is stale when abandoned or its heartbeat is older than the lease") {
  using namespace std::chrono;
  const store::Timestamp now = time_point_cast<milliseconds>(sys_days{2026y / 3 / 29} + 1h);
  store::RunRecord run;
  run.id = 3;
  run.status = store::RunStatus::running;
  run.created_at = now - 5min;
  run.started_at = now - 5min;
  run.heartbeat_at = now - 30s;
  CHECK_FALSE(dash::is_stale(run, now, 60s));
  run.heartbeat_at = now - 61s;
  CHECK(dash::is_stale(run, now, 60s));
  run.heartbeat_at.reset();  // never beat: counts from its creation
  CHECK(dash::is_stale(run, now, 60s));
  run.status = store::RunStatus::completed;
  run.finished_at = now - 4min;
  CHECK_FALSE(dash::is_stale(run, now, 60s));
  run.status = store::RunStatus::abandoned;
  CHECK(dash::is_stale(run, now, 60s));

  const auto summary = dash::summarize_run(run, now, 60s);
  CHECK(summary.status == "abandoned");
  CHECK(summary.stale);
  CHECK(summary.duration == "1m00s");
  CHECK(summary.started_at == "2026-03-29T00:55:00Z");
}

// Regression: with exactly one page of runs (25), the task page linked to an empty older page.
TEST_CASE("dashboard: a task page links to older runs only when there are some") {
  ApiFixture f;
  const Session session = log_in(f, maintd::testing::kToken);
  maintd::service::Service service(*f.daemon);
  auto add_run = [&] {
    const auto started = service.run_now({.task = "nightly"});
    REQUIRE_MESSAGE(started, started.error().message);
    // One at a time: the task's concurrency policy refuses a run while one is in progress.
    REQUIRE(f.daemon->wait_idle(std::chrono::seconds(30)));
    return started.value();
  };
  std::vector<maintd::service::RunId> ids;
  for (int i = 0; i < 25; ++i) ids.push_back(add_run());
  CHECK_FALSE(send(f.port, "GET", "/tasks/nightly", {}, session.cookies()).contains("Older runs"));

  ids.push_back(add_run());
  const auto page = send(f.port, "GET", "/tasks/nightly", {}, session.cookies());
  // The newest 25 are shown; the link starts below the oldest of them.
  CHECK(page.contains("href=\"/tasks/nightly?before=" + std::to_string(ids[1]) + "\">Older runs"));
  const auto older =
      send(f.port, "GET", "/tasks/nightly?before=" + std::to_string(ids[1]), {}, session.cookies());
  CHECK(older.contains("/runs/" + std::to_string(ids[0])));
  CHECK_FALSE(older.contains("Older runs"));
}

TEST_CASE("dashboard: the script's request gets the live part alone, 304 while it is unchanged") {
  ApiFixture f;
  const Session session = log_in(f, kToken);
  Headers live = session.cookies();
  live.emplace_back("X-Maintd-Live", "1");
  const auto part = send(f.port, "GET", "/", {}, live);
  CHECK(part.status == 200);
  CHECK(part.contains("data-task=\"nightly\""));
  CHECK_FALSE(part.contains("<html"));  // the part, not the page
  CHECK_FALSE(part.contains("<header>"));
  const std::string etag = part.header("etag");
  REQUIRE(etag.size() == 18);
  Headers again = live;
  again.emplace_back("If-None-Match", etag);
  const auto unchanged = send(f.port, "GET", "/", {}, again);
  CHECK(unchanged.status == 304);
  CHECK(unchanged.body.empty());

  // A new run changes the part: a new ETag, and its mark.
  maintd::service::Service service(*f.daemon);
  const auto started = service.run_now({.task = "nightly"});
  REQUIRE(started);
  REQUIRE(f.daemon->wait_idle(std::chrono::seconds(30)));
  const auto changed = send(f.port, "GET", "/", {}, again);
  CHECK(changed.status == 200);
  CHECK(changed.header("etag") != etag);
  CHECK(changed.contains("data-run-id=\"" + std::to_string(started.value()) +
                         "\" data-status=\"completed\""));

  // Every page has its part; the task page's has the charts and the runs.
  const auto task_part = send(f.port, "GET", "/tasks/nightly", {}, live);
  CHECK(task_part.contains("data-chart=\"duration\""));
  CHECK(task_part.contains("data-run=\"" + std::to_string(started.value()) + "\""));
  CHECK(send(f.port, "GET", "/overview", {}, live).contains("class=\"timeline\""));
  CHECK(send(f.port, "GET", "/runs/" + std::to_string(started.value()), {}, live)
            .contains("<dt>Status</dt>"));

  // Logged out, the script is told so (it shows "log in again"), not sent the login page.
  const auto refused = send(f.port, "GET", "/", {}, {{"X-Maintd-Live", "1"}});
  CHECK(refused.status == 401);
  CHECK(refused.contains("log in again"));
}

TEST_CASE("dashboard: pages load the compiled-in style and script, and allow nothing else") {
  ApiFixture f;
  const Session session = log_in(f, kToken);
  const auto page = send(f.port, "GET", "/overview", {}, session.cookies());
  CHECK(page.status == 200);
  const std::string csp = page.header("content-security-policy");
  CHECK(csp.find("script-src 'self'") != std::string::npos);
  CHECK(csp.find("style-src 'self'") != std::string::npos);
  CHECK(csp.find("connect-src 'self'") != std::string::npos);
  CHECK(csp.find("unsafe-inline") == std::string::npos);
  CHECK_FALSE(page.contains("style=\""));  // no inline style: the policy would refuse it
  std::smatch css_link, js_link;
  REQUIRE(std::regex_search(page.body, css_link,
                            std::regex("href=\"(/assets/dashboard\\.css\\?v=[0-9a-f]{16})\"")));
  REQUIRE(std::regex_search(page.body, js_link,
                            std::regex("src=\"(/assets/dashboard\\.js\\?v=[0-9a-f]{16})\"")));
  // Assets are open (the login page needs its style) and kept by the browser: the URL changes
  // with the content.
  const auto css = send(f.port, "GET", css_link[1]);
  CHECK(css.status == 200);
  CHECK(css.header("content-type") == "text/css; charset=utf-8");
  CHECK(css.header("cache-control").find("immutable") != std::string::npos);
  CHECK(css.contains(".mark.failed"));
  const auto js = send(f.port, "GET", js_link[1]);
  CHECK(js.header("content-type") == "text/javascript; charset=utf-8");
  CHECK(js.contains("X-Maintd-Live"));
  CHECK(send(f.port, "GET", "/assets/tasks.mustache").status == 404);  // templates are not served
  CHECK(send(f.port, "GET", "/assets/nope.js").status == 404);
  CHECK(send(f.port, "GET", "/assets/..%2Fdashboard.css").status == 404);
}

TEST_CASE("dashboard: the task page's filters, and a bad filter or page named in a 400") {
  ApiFixture f;
  const Session session = log_in(f, kToken);
  maintd::service::Service service(*f.daemon);
  for (int i = 0; i < 2; ++i) {
    REQUIRE(service.run_now({.task = "nightly"}));
    REQUIRE(f.daemon->wait_idle(std::chrono::seconds(30)));
  }
  const auto all = send(f.port, "GET", "/tasks/nightly", {}, session.cookies());
  CHECK(all.contains("<option value=\"\" selected>any status</option>"));
  const auto manual = send(f.port, "GET", "/tasks/nightly?trigger=manual&status=completed&since=1h",
                           {}, session.cookies());
  CHECK(manual.status == 200);
  CHECK(manual.contains("<option value=\"manual\" selected>manual</option>"));
  CHECK(manual.contains("<option value=\"1h\" selected>last hour</option>"));
  CHECK(manual.contains("Clear filters"));
  const auto none = send(f.port, "GET", "/tasks/nightly?status=failed", {}, session.cookies());
  CHECK(none.status == 200);
  CHECK(none.contains("No runs recorded yet."));
  CHECK(none.contains("No run in this selection has started."));

  const auto bad_status = send(f.port, "GET", "/tasks/nightly?status=done", {}, session.cookies());
  CHECK(bad_status.status == 400);
  CHECK(bad_status.contains("status= &#39;done&#39; is not a run status"));
  const auto bad_trigger =
      send(f.port, "GET", "/tasks/nightly?trigger=cron", {}, session.cookies());
  CHECK(bad_trigger.status == 400);
  CHECK(bad_trigger.contains("trigger= &#39;cron&#39; is not a trigger"));
  const auto bad_since = send(f.port, "GET", "/tasks/nightly?since=2y", {}, session.cookies());
  CHECK(bad_since.status == 400);
  CHECK(bad_since.contains("since= &#39;2y&#39; is not a period (1h, 24h, 7d, 30d)"));
  CHECK(send(f.port, "GET", "/?page=0", {}, session.cookies()).contains("page= must be"));
  CHECK(send(f.port, "GET", "/?per_page=5000", {}, session.cookies())
            .contains("per_page= must be a number from 1 to 1000"));
  CHECK(send(f.port, "GET", "/overview?page=x", {}, session.cookies()).status == 400);
}

TEST_CASE("dashboard: the task list and the overview page through many tasks") {
  ApiFixture f;
  const Session session = log_in(f, kToken);
  // The fixture has 4 tasks: 2 a page.
  const auto first = send(f.port, "GET", "/?per_page=2", {}, session.cookies());
  CHECK(first.contains("tasks 1-2 of 4"));
  CHECK(first.contains("href=\"/?page=2&amp;per_page=2\" rel=\"next\""));
  CHECK(first.contains("4 tasks, 4 enabled"));  // the summary counts them all
  const auto second = send(f.port, "GET", "/?page=2&per_page=2", {}, session.cookies());
  CHECK(second.contains("tasks 3-4 of 4"));
  CHECK(second.contains("rel=\"prev\""));
  CHECK_FALSE(second.contains("rel=\"next\""));
  CHECK_FALSE(second.contains("data-task=\"nightly\""));
  const auto beyond = send(f.port, "GET", "/overview?page=9&per_page=2", {}, session.cookies());
  CHECK(beyond.status == 200);
  CHECK(beyond.contains("no tasks on this page (4 in all)"));
}

TEST_CASE("dashboard: the pause form pauses every daemon, the banner says so, Resume ends it") {
  ApiFixture f;
  const Session session = log_in(f, kToken);
  const Headers writes{{"Cookie", session.cookie_header()}, {"Origin", "http://127.0.0.1"}};
  auto page = send(f.port, "GET", "/", {}, session.cookies());
  CHECK(page.contains("action=\"/ui/pause\""));
  CHECK_FALSE(page.contains("class=\"paused-banner\""));

  auto response = send(
      f.port, "POST", "/ui/pause",
      form({{"csrf", session.csrf}, {"return", "/"}, {"for", "30m"}, {"reason", "deploy <42>"}}),
      writes);
  CHECK(response.status == 303);
  CHECK(flash_of(response).find("ok:maintd is paused by the dashboard since") == 0);
  page = send(f.port, "GET", "/tasks/nightly", {}, session.cookies());
  CHECK(page.contains("class=\"paused-banner\""));
  CHECK(page.contains("action=\"/ui/resume\""));
  CHECK(page.contains(": deploy &lt;42&gt;."));  // escaped
  CHECK_FALSE(page.contains("action=\"/ui/pause\""));

  // Without the CSRF token: refused, still paused.
  response = send(f.port, "POST", "/ui/resume", form({{"return", "/"}}), writes);
  CHECK(response.status != 303);
  CHECK(send(f.port, "GET", "/", {}, session.cookies()).contains("class=\"paused-banner\""));

  response =
      send(f.port, "POST", "/ui/resume", form({{"csrf", session.csrf}, {"return", "/"}}), writes);
  CHECK(response.status == 303);
  CHECK(flash_of(response) == "ok:resumed: schedules go on from their next slot");
  CHECK_FALSE(send(f.port, "GET", "/", {}, session.cookies()).contains("class=\"paused-banner\""));
}

TEST_CASE("dashboard: one-off runs waiting are listed at the top of every page, with Cancel") {
  ApiFixture f;
  const auto recorded = f.post("/api/v1/scheduled-tasks/nightly/run", R"({"at": "+1h"})");
  REQUIRE(recorded.status == 202);
  const auto id = recorded.json().at("run_id").get<std::int64_t>();
  const Session session = log_in(f, kToken);
  const auto page = send(f.port, "GET", "/", {}, session.cookies());
  CHECK(page.contains("One-off runs waiting:"));
  CHECK(page.contains("run " + std::to_string(id) + "</a> of nightly at "));
  CHECK(page.contains("action=\"/ui/runs/" + std::to_string(id) + "/cancel\""));
}
