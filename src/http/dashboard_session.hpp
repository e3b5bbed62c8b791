#pragma once
// What every dashboard route shares (dashboard.cpp, dashboard_pages.cpp): who may see and do
// what (check_read, check_write), the viewer a page is for and its CSRF cookie, flash messages,
// and how answers are made: pages with their security headers, refusals as pages, redirects,
// and the live part of a page that the script asks for (docs/dashboard.md#live-updates).
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/instant.hpp"
#include "http/auth.hpp"
#include "http/dashboard_view.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "service/records.hpp"

namespace maintd::service {
class Service;
}

namespace maintd::http::dashboard {

// The headers of every dashboard page: never cached, never framed, scripts and styles only from
// this server (/assets/...), fetches only to it.
Response page(unsigned status, std::string body);
// A refusal or a missing thing, as a page.
Response message(unsigned status, std::string title, std::string text, std::string back = "/",
                 std::string back_text = "Back to the dashboard");
Response see_other(std::string location);

// "name=value; Path=/; attributes", and the one that removes it.
std::string cookie(std::string_view name, std::string_view value, std::string_view attributes);
std::string expired_cookie(std::string_view name, std::string_view attributes);
// `response` with a flash message for the page it redirects to.
Response with_flash(Response response, Flash::Kind kind, const std::string& text);
// The flash message a write left for this page, if any (and the header that clears it).
std::optional<Flash> take_flash(const Request& request, Response& response);

// The viewer of a page, and the CSRF cookie its forms need when the browser has none yet (a
// loopback listener without tokens: nobody logged in).
Viewer viewer_for(const Request& request, std::vector<std::string>& set_cookies);
// Who may see a page: nothing when the request may, else the answer (to /login, or a refusal).
// The script's requests for a live part get a short 401 or 403 instead of the login page.
std::optional<Response> check_read(Request& request, const Auth& auth);
// Who may write: nothing when the request may, else the refusal page (nothing was done).
std::optional<Response> check_write(Request& request, const Auth& auth,
                                    const std::map<std::string, std::string>& form);

std::optional<service::RunId> parse_run_id(const std::string& text);
Instant now_instant();
service::Timestamp now_stamp();
std::chrono::seconds lease_of(service::Service& service);
Response finish_page(Response response, const std::vector<std::string>& set_cookies);

// Whether the page's script asks for its live part only (header X-Maintd-Live: 1).
bool is_live_request(const Request& request);
// The live part `body` with its ETag; 304 without a body when the request's If-None-Match
// names it (nothing changed since the script's last look).
Response live_part(const Request& request, std::string body);

}  // namespace maintd::http::dashboard
