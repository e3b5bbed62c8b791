// The dashboard's HTML (see dashboard_view.hpp). Every value from a model goes through
// html::escape() (text and attributes) or html::url_encode() (links); literals are ours.
#include "http/dashboard_view.hpp"

#include <fmt/format.h>

#include <string_view>

#include "http/html.hpp"

namespace maintd::http::dashboard {
namespace {

using html::escape;

constexpr std::string_view kStyle = R"css(
:root{--fg:#1d2330;--muted:#5d6678;--line:#dde1e8;--bg:#f6f7f9;--card:#fff;--accent:#2457c5}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;align-items:center;gap:16px;padding:10px 24px;background:#1d2330;color:#fff}
header a{color:#fff;text-decoration:none}
header .brand{font-weight:700;font-size:16px;letter-spacing:.3px}
header .spacer{flex:1}
header .who{color:#b8c0d0;font-size:12px}
header form{margin:0}
main{padding:18px 24px;max-width:1400px}
h1{font-size:20px;margin:4px 0 12px}
h2{font-size:16px;margin:22px 0 8px}
a{color:var(--accent)}
code{font:12.5px/1.3 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
table{border-collapse:collapse;width:100%;background:var(--card);border:1px solid var(--line)}
th,td{text-align:left;padding:7px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:12px;text-transform:uppercase;letter-spacing:.4px;color:var(--muted);background:#fafbfc}
tr.stale td{background:#fff4e5}
tr.stale td:first-child{box-shadow:inset 3px 0 0 #e8710a}
tr.disabled td{color:var(--muted)}
.sub{color:var(--muted);font-size:12px}
.badge{display:inline-block;padding:1px 7px;border-radius:10px;font-size:12px;font-weight:600;white-space:nowrap;background:#e8eaef;color:#3b4252}
.badge.completed{background:#dcf3e3;color:#136c33}
.badge.failed,.badge.timed_out{background:#fde0de;color:#a3140d}
.badge.abandoned,.badge.stale{background:#ffe2c2;color:#8a3d00}
.badge.running{background:#dbe7ff;color:#1d4ab0}
.badge.pending{background:#eef0f4;color:#4b5366}
.badge.cancelled,.badge.skipped{background:#eceef2;color:#5d6678}
.badge.overdue{background:#a3140d;color:#fff}
.badge.enabled{background:#dcf3e3;color:#136c33}
.badge.disabled{background:#eceef2;color:#5d6678}
.badge.dry{background:#f3e8ff;color:#6222a8}
.actions{white-space:nowrap}
.actions form{display:inline;margin:0}
button{font:inherit;font-size:12.5px;padding:3px 10px;border:1px solid #b9c0cc;border-radius:5px;background:#fff;color:var(--fg);cursor:pointer}
button:hover{background:#f0f3f8}
button.primary{background:var(--accent);border-color:var(--accent);color:#fff}
button.primary:hover{background:#1c47a3}
button.danger{border-color:#d9a4a0;color:#a3140d}
.flash{padding:9px 12px;border-radius:6px;margin:0 0 14px;border:1px solid}
.flash.ok{background:#e7f6ec;border-color:#a9dcb8;color:#125e2c}
.flash.error{background:#fdecea;border-color:#f1b0aa;color:#8f1209}
.note{color:var(--muted);margin:0 0 12px}
.error-text{color:#a3140d;white-space:pre-wrap;word-break:break-word}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;background:var(--card);border:1px solid var(--line);padding:12px 14px;margin:0 0 12px}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0}
details summary{cursor:pointer;color:var(--accent);font-size:12px}
table.events{margin-top:6px;border:none;width:auto}
table.events td{padding:2px 8px;border:none;font:12px/1.35 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:pre-wrap;word-break:break-word}
table.events tr.warning td{color:#8a3d00}
table.events tr.error td{color:#a3140d}
tr.events-row td{background:#fbfbfc;padding-top:0}
.login{max-width:380px;margin:60px auto;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:22px}
.login input[type=password]{width:100%;padding:7px 9px;font:inherit;border:1px solid #b9c0cc;border-radius:5px;margin:6px 0 12px}
.message{max-width:640px;margin:40px auto;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:22px}
)css";

// Status names the stylesheet knows; anything else gets the plain badge.
bool known_status(std::string_view status) {
  for (std::string_view known : {"pending", "running", "completed", "failed", "timed_out",
                                 "cancelled", "abandoned", "skipped"}) {
    if (status == known) return true;
  }
  return false;
}

void badge(std::string& out, std::string_view css_class, std::string_view text,
           std::string_view title = {}) {
  out += "<span class=\"badge ";
  out += css_class;
  out += "\"";
  if (!title.empty()) {
    out += " title=\"";
    html::append_escaped(out, title);
    out += "\"";
  }
  out += ">";
  html::append_escaped(out, text);
  out += "</span>";
}

void status_badge(std::string& out, const std::string& status) {
  badge(out, known_status(status) ? std::string_view(status) : std::string_view("other"), status);
}

void head(std::string& out, std::string_view title) {
  out +=
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<meta name=\"referrer\" content=\"same-origin\"><title>";
  html::append_escaped(out, title);
  out += " · maintd</title><style>";
  out += kStyle;
  out += "</style></head><body>";
}

void top_bar(std::string& out, const Viewer& viewer) {
  out +=
      "<header><a class=\"brand\" href=\"/\">maintd</a><a href=\"/\">Tasks</a>"
      "<span class=\"spacer\"></span>";
  if (!viewer.can_write) out += "<span class=\"who\">read-only access</span>";
  if (viewer.can_logout) {
    out += "<form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"";
    html::append_escaped(out, viewer.csrf);
    out += "\"><button type=\"submit\">Log out</button></form>";
  }
  out += "</header><main>";
}

void foot(std::string& out, std::string_view generated_at) {
  if (!generated_at.empty()) {
    out += "<p class=\"sub\">Generated at ";
    html::append_escaped(out, generated_at);
    out += " (UTC). Reload the page to refresh.</p>";
  }
  out += "</main></body></html>\n";
}

void flash(std::string& out, const std::optional<Flash>& message) {
  if (!message) return;
  out += message->kind == Flash::Kind::ok ? "<div class=\"flash ok\" role=\"status\">"
                                          : "<div class=\"flash error\" role=\"alert\">";
  html::append_escaped(out, message->text);
  out += "</div>";
}

// The hidden fields every write form carries.
void form_fields(std::string& out, const Viewer& viewer, std::string_view return_to) {
  out += "<input type=\"hidden\" name=\"csrf\" value=\"";
  html::append_escaped(out, viewer.csrf);
  out += "\"><input type=\"hidden\" name=\"return\" value=\"";
  html::append_escaped(out, return_to);
  out += "\">";
}

// Run now, Dry run, Enable/Disable for one task; nothing for a read-only viewer.
void task_actions(std::string& out, const TaskSummary& task, const Viewer& viewer,
                  std::string_view return_to) {
  if (!viewer.can_write || !task.defined) return;
  const std::string base = "/ui/tasks/" + html::url_encode(task.name);
  out += "<form method=\"post\" action=\"" + base + "/run\">";
  form_fields(out, viewer, return_to);
  out +=
      "<button type=\"submit\" class=\"primary\" name=\"dry_run\" value=\"0\" "
      "data-action=\"run\">Run now</button> "
      "<button type=\"submit\" name=\"dry_run\" value=\"1\" data-action=\"dry-run\">Dry "
      "run</button></form> ";
  if (task.enabled) {
    out += "<form method=\"post\" action=\"" + base + "/disable\">";
    form_fields(out, viewer, return_to);
    out +=
        "<button type=\"submit\" class=\"danger\" data-action=\"disable\">Disable</button>"
        "</form>";
  } else {
    out += "<form method=\"post\" action=\"" + base + "/enable\">";
    form_fields(out, viewer, return_to);
    out += "<button type=\"submit\" data-action=\"enable\">Enable</button></form>";
  }
}

void cancel_action(std::string& out, const RunSummary& run, const Viewer& viewer,
                   std::string_view return_to) {
  if (!viewer.can_write || (run.status != "running" && run.status != "pending")) return;
  out += "<form method=\"post\" action=\"/ui/runs/" + std::to_string(run.id) + "/cancel\">";
  form_fields(out, viewer, return_to);
  out += "<button type=\"submit\" class=\"danger\" data-action=\"cancel\">Cancel</button></form>";
}

// "completed #42 · dry run · stale"
void last_run_cell(std::string& out, const TaskSummary& task) {
  if (!task.last_run) {
    out += "<span class=\"sub\">never ran</span>";
  } else {
    const RunSummary& run = *task.last_run;
    status_badge(out, run.status);
    out += " <a href=\"" + run_href(run.id) + "\">#" + std::to_string(run.id) + "</a>";
    if (run.dry_run) {
      out += " ";
      badge(out, "dry", "dry run");
    }
    if (run.stale) {
      out += " ";
      badge(out, "stale", "stale",
            run.status == "abandoned" ? "its lease expired: the process died or hung"
                                      : "no heartbeat within the lease");
    }
    const std::string& when = !run.finished_at.empty()  ? run.finished_at
                              : !run.started_at.empty() ? run.started_at
                                                        : run.created_at;
    out += "<div class=\"sub\">";
    html::append_escaped(out, when);
    out += "</div>";
    if (!run.error.empty()) {
      out += "<div class=\"sub error-text\">";
      html::append_escaped(out,
                           run.error.size() > 160 ? run.error.substr(0, 157) + "..." : run.error);
      out += "</div>";
    }
  }
  if (task.overdue) {
    out += " ";
    badge(out, "overdue", "overdue", *task.overdue);
    out += "<div class=\"sub error-text\">";
    html::append_escaped(out, *task.overdue);
    out += "</div>";
  }
}

void schedule_cell(std::string& out, const TaskSummary& task) {
  out += "<code";
  if (!task.explanation.empty()) {
    out += " title=\"";
    html::append_escaped(out, task.explanation);
    out += "\"";
  }
  out += ">";
  html::append_escaped(out, task.schedule);
  out += "</code> <span class=\"sub\">";
  html::append_escaped(out, task.timezone);
  out += "</span>";
  if (!task.explanation.empty()) {
    out += "<div class=\"sub\">";
    html::append_escaped(out, task.explanation);
    out += "</div>";
  }
}

void next_slot_cell(std::string& out, const TaskSummary& task) {
  if (task.next_slot.empty()) {
    out += "<span class=\"sub\">-</span>";
    return;
  }
  html::append_escaped(out, task.next_slot);
  if (!task.next_slot_in.empty()) {
    out += "<div class=\"sub\">";
    html::append_escaped(out, task.next_slot_in);
    out += "</div>";
  }
}

void enabled_badge(std::string& out, const TaskSummary& task) {
  if (task.enabled) {
    badge(out, "enabled", "enabled");
  } else {
    badge(out, "disabled", "disabled");
  }
  if (task.dry_run) {
    out += " ";
    badge(out, "dry", "dry run", "the task is configured as a dry run");
  }
}

bool row_is_stale(const TaskSummary& task) {
  return task.last_run && task.last_run->stale;
}

void events_table(std::string& out, const std::vector<EventLine>& events) {
  out += "<table class=\"events\">";
  for (const EventLine& event : events) {
    out += "<tr class=\"";
    html::append_escaped(out, event.level);
    out += "\"><td>";
    html::append_escaped(out, event.at);
    out += "</td><td>";
    html::append_escaped(out, event.level);
    out += "</td><td>";
    html::append_escaped(out, event.event);
    out += "</td><td>";
    html::append_escaped(out, event.message);
    out += "</td></tr>";
  }
  out += "</table>";
}

void fact(std::string& out, std::string_view name, std::string_view value_html) {
  out += "<dt>";
  out += name;
  out += "</dt><dd>";
  out += value_html;
  out += "</dd>";
}

std::string text_or_dash(const std::string& text) {
  return text.empty() ? "-" : escape(text);
}

}  // namespace

std::string task_href(const std::string& name) {
  return "/tasks/" + html::url_encode(name);
}
std::string run_href(std::int64_t id) {
  return "/runs/" + std::to_string(id);
}

std::string format_distance(std::chrono::seconds distance) {
  long long s = distance.count();
  if (s < 0) s = -s;
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m", s / 60);
  if (s < 86400) {
    return s % 3600 / 60 == 0 ? fmt::format("{}h", s / 3600)
                              : fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
  }
  return s % 86400 / 3600 == 0 ? fmt::format("{}d", s / 86400)
                               : fmt::format("{}d{:02}h", s / 86400, s % 86400 / 3600);
}

std::string render_tasks(const TasksPage& page) {
  std::string out;
  out.reserve(4096 + page.tasks.size() * 1500);
  head(out, "Tasks");
  top_bar(out, page.viewer);
  flash(out, page.flash);
  out += "<h1>Tasks</h1>";

  std::size_t enabled = 0, running = 0, stale = 0, overdue = 0, failing = 0;
  for (const TaskSummary& task : page.tasks) {
    if (task.enabled) ++enabled;
    if (task.overdue) ++overdue;
    if (row_is_stale(task)) ++stale;
    if (task.last_run && task.last_run->status == "running") ++running;
    if (task.last_run &&
        (task.last_run->status == "failed" || task.last_run->status == "timed_out")) {
      ++failing;
    }
  }
  out += fmt::format(
      "<p class=\"note\" id=\"summary\">{} task{}, {} enabled · {} running · {} failing · {} "
      "stale · {} overdue</p>",
      page.tasks.size(), page.tasks.size() == 1 ? "" : "s", enabled, running, failing, stale,
      overdue);

  if (page.tasks.empty()) {
    out += "<p class=\"note\">No tasks are defined.</p>";
    foot(out, page.generated_at);
    return out;
  }
  out +=
      "<table class=\"tasks\"><thead><tr><th>Task</th><th>Schedule</th><th>Next slot</th>"
      "<th>Last run</th><th>Duration</th><th>State</th>";
  if (page.viewer.can_write) out += "<th>Actions</th>";
  out += "</tr></thead><tbody>";
  for (const TaskSummary& task : page.tasks) {
    out += "<tr class=\"task";
    if (row_is_stale(task)) out += " stale";
    if (!task.enabled) out += " disabled";
    if (task.overdue) out += " overdue";
    out += "\" data-task=\"";
    html::append_escaped(out, task.name);
    out += "\"><td><a class=\"task-name\" href=\"" + task_href(task.name) + "\">";
    html::append_escaped(out, task.name);
    out += "</a><div class=\"sub\">";
    html::append_escaped(out, task.type);
    out += "</div></td><td>";
    schedule_cell(out, task);
    out += "</td><td>";
    next_slot_cell(out, task);
    out += "</td><td class=\"last-run\">";
    last_run_cell(out, task);
    out += "</td><td>";
    out += task.last_run ? text_or_dash(task.last_run->duration) : "-";
    out += "</td><td>";
    enabled_badge(out, task);
    out += "</td>";
    if (page.viewer.can_write) {
      out += "<td class=\"actions\">";
      task_actions(out, task, page.viewer, "/");
      out += "</td>";
    }
    out += "</tr>";
  }
  out += "</tbody></table>";
  foot(out, page.generated_at);
  return out;
}

std::string render_task(const TaskPage& page) {
  const TaskSummary& task = page.task;
  const std::string here = task_href(task.name);
  std::string out;
  out.reserve(8192 + page.runs.size() * 2000);
  head(out, task.name);
  top_bar(out, page.viewer);
  flash(out, page.flash);
  out += "<h1 class=\"task-title\">";
  html::append_escaped(out, task.name);
  out += "</h1>";
  if (!task.defined) {
    out += "<p class=\"note\">This task is not defined any more; its recorded runs are kept.</p>";
  } else {
    if (!task.description.empty()) {
      out += "<p class=\"note\">";
      html::append_escaped(out, task.description);
      out += "</p>";
    }
    out += "<dl class=\"facts\">";
    fact(out, "Type", "<code>" + escape(task.type) + "</code>");
    std::string schedule;
    schedule_cell(schedule, task);
    fact(out, "Schedule", schedule);
    std::string next;
    next_slot_cell(next, task);
    fact(out, "Next slot", next);
    std::string state;
    enabled_badge(state, task);
    if (task.overdue) {
      state += " ";
      badge(state, "overdue", "overdue");
      state += " <span class=\"error-text\">" + escape(*task.overdue) + "</span>";
    }
    fact(out, "State", state);
    for (const auto& [name, value] : task.policies) fact(out, escape(name), escape(value));
    fact(out, "Defined in", escape(task.origin));
    out += "</dl>";
    if (page.viewer.can_write) {
      out += "<div class=\"actions\">";
      task_actions(out, task, page.viewer, here);
      out += "</div>";
    }
  }

  out += "<h2>Recent runs</h2>";
  if (page.runs.empty()) {
    out += "<p class=\"note\" id=\"no-runs\">No runs recorded yet.</p>";
    foot(out, page.generated_at);
    return out;
  }
  out +=
      "<table class=\"runs\"><thead><tr><th>Run</th><th>Status</th><th>Trigger</th>"
      "<th>Slot</th><th>Started</th><th>Finished</th><th>Duration</th><th>Error</th>"
      "</tr></thead><tbody>";
  for (const RunWithEvents& entry : page.runs) {
    const RunSummary& run = entry.run;
    out += "<tr class=\"run";
    if (run.stale) out += " stale";
    out += "\" data-run=\"" + std::to_string(run.id) + "\" data-status=\"";
    html::append_escaped(out, run.status);
    out +=
        "\"><td><a href=\"" + run_href(run.id) + "\">#" + std::to_string(run.id) + "</a></td><td>";
    status_badge(out, run.status);
    if (run.stale) {
      out += " ";
      badge(out, "stale", "stale");
    }
    if (run.dry_run) {
      out += " ";
      badge(out, "dry", "dry run");
    }
    out += " ";
    cancel_action(out, run, page.viewer, here);
    out += "</td><td>";
    html::append_escaped(out, run.trigger);
    if (run.attempt > 1) out += fmt::format(" <span class=\"sub\">attempt {}</span>", run.attempt);
    out += "</td><td>" + text_or_dash(run.scheduled_for) + "</td><td>" +
           text_or_dash(run.started_at) + "</td><td>" + text_or_dash(run.finished_at) +
           "</td><td>" + text_or_dash(run.duration) + "</td><td class=\"error-text\">";
    html::append_escaped(out, run.error);
    out += "</td></tr>";
    out += "<tr class=\"events-row\"><td colspan=\"8\">";
    if (entry.events.empty()) {
      out += "<span class=\"sub\">no events</span>";
    } else {
      out += fmt::format("<details><summary>{} event{}</summary>",
                         entry.events.size() + entry.events_omitted,
                         entry.events.size() + entry.events_omitted == 1 ? "" : "s");
      events_table(out, entry.events);
      if (entry.events_omitted > 0) {
        out += fmt::format("<p class=\"sub\">{} more on <a href=\"{}\">the run's page</a></p>",
                           entry.events_omitted, run_href(run.id));
      }
      out += "</details>";
    }
    out += "</td></tr>";
  }
  out += "</tbody></table>";
  if (!page.older_href.empty()) {
    out += "<p><a class=\"older\" href=\"";
    html::append_escaped(out, page.older_href);
    out += "\">Older runs</a></p>";
  }
  foot(out, page.generated_at);
  return out;
}

std::string render_run(const RunPage& page) {
  const RunSummary& run = page.run;
  std::string out;
  head(out, fmt::format("Run {}", run.id));
  top_bar(out, page.viewer);
  flash(out, page.flash);
  out += fmt::format("<h1>Run #{} of <a href=\"{}\">", run.id, task_href(page.task_name));
  html::append_escaped(out, page.task_name);
  out += "</a></h1><dl class=\"facts\">";
  std::string status;
  status_badge(status, run.status);
  if (run.stale) {
    status += " ";
    badge(status, "stale", "stale");
  }
  if (run.dry_run) {
    status += " ";
    badge(status, "dry", "dry run");
  }
  fact(out, "Status", status);
  fact(out, "Trigger",
       escape(run.trigger) + (run.attempt > 1 ? fmt::format(" (attempt {})", run.attempt) : ""));
  fact(out, "Slot", text_or_dash(run.scheduled_for));
  fact(out, "Created", text_or_dash(run.created_at));
  fact(out, "Started", text_or_dash(run.started_at));
  fact(out, "Finished", text_or_dash(run.finished_at));
  fact(out, "Duration", text_or_dash(run.duration));
  fact(out, "Heartbeat", text_or_dash(run.heartbeat_at));
  fact(out, "Host", text_or_dash(run.host));
  if (!run.error.empty())
    fact(out, "Error", "<span class=\"error-text\">" + escape(run.error) + "</span>");
  out += "</dl>";
  if (page.viewer.can_write) {
    out += "<div class=\"actions\">";
    cancel_action(out, run, page.viewer, run_href(run.id));
    out += "</div>";
  }
  out += "<h2>Events</h2>";
  if (page.events.empty()) {
    out += "<p class=\"note\">No events.</p>";
  } else {
    events_table(out, page.events);
  }
  foot(out, page.generated_at);
  return out;
}

std::string render_login(const LoginPage& page) {
  std::string out;
  head(out, "Log in");
  out +=
      "<header><a class=\"brand\" href=\"/\">maintd</a></header><main><div class=\"login\">"
      "<h1>Log in</h1>";
  if (!page.error.empty()) {
    out += "<div class=\"flash error\" role=\"alert\">";
    html::append_escaped(out, page.error);
    out += "</div>";
  }
  out +=
      "<form method=\"post\" action=\"/login\"><label for=\"token\">Token "
      "<span class=\"sub\">(http.token, or http.read_only_token to look only)</span></label>"
      "<input type=\"password\" id=\"token\" name=\"token\" autocomplete=\"current-password\" "
      "required autofocus><button type=\"submit\" class=\"primary\">Log in</button></form>"
      "</div></main></body></html>\n";
  return out;
}

std::string render_message(const MessagePage& page) {
  std::string out;
  head(out, page.title);
  out +=
      "<header><a class=\"brand\" href=\"/\">maintd</a></header><main><div class=\"message\">"
      "<h1>";
  html::append_escaped(out, page.title);
  out += "</h1><p>";
  html::append_escaped(out, page.message);
  out += "</p>";
  if (!page.back_href.empty()) {
    out += "<p><a href=\"";
    html::append_escaped(out, page.back_href);
    out += "\">";
    html::append_escaped(out, page.back_text);
    out += "</a></p>";
  }
  out += "</div></main></body></html>\n";
  return out;
}

}  // namespace maintd::http::dashboard
