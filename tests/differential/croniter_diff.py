#!/usr/bin/python3
"""Differential test: `maintd cron next` against croniter (Debian 12: python3-croniter 1.3.5).

Generates random five-field cron expressions from a seeded RNG, picks a random start instant in
UTC between 2000 and 2099 for each, and compares the next slots computed by croniter with
`maintd cron next EXPR --from START --count 5`. The valid expressions use plain Vixie syntax
only: values, ranges, lists, "*/n" and "a-b/n" steps, month and weekday names (any case) now and
then, and 7 for Sunday. About one case in seven is an invalid or doubtful expression instead
(out of range, malformed, wrong field count, bad names, '?', L, W, #, oversized steps, ...),
where the question is who accepts it.

Run with /usr/bin/python3: croniter is a Debian package, and a `python3` from pyenv on PATH does
not see it.

    /usr/bin/python3 tests/differential/croniter_diff.py --maintd build/dev/maintd [--seed N]
        [--cases N] [--verbose]

Exit status: 0 when every comparison agrees, 1 on any mismatch, 77 when croniter cannot be
imported (CTest reports the test as skipped), 2 on bad usage.

Three verdicts are computed for every expression:
  croniter  - the peer implementation;
  cronie    - a small port of cronie's parser (src/entry.c: get_list/get_range/get_number) and
              of its day rule, kept in this file: it says whether Vixie cron accepts the text
              and, as a third opinion, what the next slots are;
  maintd    - the binary under test.

Known divergences of croniter 1.3.5 from Vixie cron / cronie, found by reading croniter.py and
by experiment. (1), (5) and (6) are skipped; the others are never generated as valid cases:

  1. The day-of-month / day-of-week rule. cronie ORs the two day fields when both are
     restricted, and a field is unrestricted when its text starts with '*' (so "*/2" is
     unrestricted, "1-31" is restricted). croniter decides on the expanded value set: a field
     is unrestricted when it holds every value. The two rules disagree
       a) on a star step that does not cover every value ("*/2" in either day field): croniter
          ORs where cronie ANDs ("0 0 */2 * 1": cronie = odd days that are Mondays, croniter =
          odd days or Mondays);
       b) on a field that covers every value without starting with '*' ("1-31", "0-6", "1-7",
          "0-7", "SUN-SAT", "0-3,4-6"): croniter ANDs where cronie ORs ("0 0 15 * 0-6":
          cronie = every day, croniter = the 15th).
     These cases are SKIPPED against croniter (the exact test: croniter.expand's own OR
     decision differs from cronie's), counted, and compared with the cronie port instead.
  2. A range ending in SUN ("FRI-SUN", "MON-SUN"): croniter reads it as 5-7; cronie matches
     the name to 0 and rejects the range as reversed. Only generated as a doubtful case.
  3. croniter gives up when nothing matches within 50 years (CroniterBadDateError); maintd
     rejects expressions that can never fire ("0 0 31 2 *") when it parses them, cronie accepts
     them and never runs them. Counted as a rejection by croniter.
  4. Syntax outside Vixie cron: '?' (maintd accepts, croniter and cronie reject), L / W / #
     (maintd and croniter accept some of them, cronie none; croniter mis-handles "d#n" under
     the OR rule), "a/n" without a range end (croniter and maintd accept, this cronie rejects),
     H (croniter's hash syntax), six fields (croniter puts seconds last, maintd first). Only
     generated as doubtful cases, and only L/W/#/?/a-n, never six fields.
  5. Under the OR rule croniter searches day-of-month and day-of-week separately and, when the
     day-of-month search alone never succeeds in the chosen months, raises CroniterBadDateError
     for the whole expression: "0 0 31 11 1" has no 31 November but fires on Mondays in
     November under cronie. SKIPPED against croniter like (1), and compared with the cronie
     port instead.
  6. Moving to the next listed day of month, croniter adds the difference in days even when
     that day does not exist in the current month, so from February it lands on 2 or 3 March and
     passes over 1 (and 2) March: from 2043-02-10, "0 0 1,30 * *" gives 30 March, cronie
     1 March. Only February is short enough for this. SKIPPED against croniter like (1) when
     the day-of-month field holds 1 with 30 or 31, or 2 with 31, February and March are both
     selected, and croniter's answer differs from the cronie port's; compared with the cronie
     port instead.
  Day-of-week 7 and ranges ending in 7 ("5-7", "1-7/2", "*/7", "7,1") are NOT divergences:
  croniter 1.3.5 maps 7 to Sunday inside ranges and steps exactly as cronie does (checked), so
  they are generated.

Rejections: when maintd rejects, it must exit with status 2 and say why on stderr; any other
non-zero status, or a hang, fails. A case where maintd and croniter both reject passes (for a
generated valid expression that happens when it can never fire, "0 0 31 4 *"). A generated
valid expression that only one of them rejects fails. For the invalid and doubtful ones, an
acceptance difference is reported with cronie's verdict, not failed (known: maintd rejects steps
larger than the field's range, "*/60" or "*/12" in months, which cronie and croniter accept and
read as the first value only; maintd accepts '?', which neither does), except when maintd
accepts Vixie-style text (no '?', L, W, # or macro) that both croniter and cronie reject: a
maintd parser bug, which fails. When all three accept, the slots must agree as for a valid case.
"""

import argparse
import calendar
import datetime
import os
import random
import re
import subprocess
import sys
import time

try:
    from croniter import croniter, CroniterBadDateError
except ImportError as exc:  # pragma: no cover - depends on the machine
    print("SKIP: croniter is not importable with %s (%s); install python3-croniter"
          % (sys.executable, exc))
    sys.exit(77)

DEFAULT_SEED = 20261124
DEFAULT_CASES = 600
SLOTS = 5
START_MIN = calendar.timegm((2000, 1, 1, 0, 0, 0))
START_MAX = calendar.timegm((2099, 12, 31, 23, 59, 59))

MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
DOW_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

# (name, low, high) as cronie has them; day-of-week goes to 7 (Sunday again).
FIELDS = [("minute", 0, 59), ("hour", 0, 23), ("day-of-month", 1, 31), ("month", 1, 12),
          ("day-of-week", 0, 7)]


def iso(ts):
    return datetime.datetime.utcfromtimestamp(ts).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------------------------
# cronie, ported: parser (entry.c) and day rule (cron.c: find_jobs).

_CRONIE_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                  "Dec"]
_CRONIE_DOWS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def _cronie_number(s, i, low, names, terms):
    j = i
    while s[j] in "0123456789":
        j += 1
    if j > i:
        if s[j] not in terms:
            return None
        return int(s[i:j]), j
    if names:
        while s[j].isascii() and s[j].isalpha():
            j += 1
        if j > i and s[j] in terms:
            word = s[i:j].lower()
            for k, name in enumerate(names):
                if name.lower() == word:
                    return k + low, j
    return None


def _cronie_range(bits, low, high, names, s, i):
    if s[i] == "*":
        num1, num2 = low, high
        i += 1
    else:
        r = _cronie_number(s, i, low, names, ",- \t\n")
        if r is None:
            return None
        num1, i = r
        if s[i] != "-":
            if not low <= num1 <= high:
                return None
            bits.add(num1)
            return i
        r = _cronie_number(s, i + 1, low, names, "/, \t\n")
        if r is None or num1 > r[0]:
            return None
        num2, i = r
    num3 = 1
    if s[i] == "/":
        r = _cronie_number(s, i + 1, 0, None, ", \t\n")
        if r is None or r[0] == 0:
            return None
        num3, i = r
    for v in range(num1, num2 + 1, num3):
        if not low <= v <= high:
            return None
        bits.add(v)
    return i


def _cronie_list(token, low, high, names):
    s = token + " "  # the blank that ends every field in a crontab line
    bits = set()
    i = 0
    while True:
        i = _cronie_range(bits, low, high, names, s, i)
        if i is None:
            return None
        if s[i] != ",":
            break
        i += 1
    # Skip_Nonblanks: cronie ignores what follows a complete range in the same token ("*5").
    return bits


class CronieEntry:
    """A five-field time specification as cronie parses and matches it."""

    @staticmethod
    def parse(text):
        tokens = text.split()
        if len(tokens) != 5 or text.startswith("@"):
            return None
        sets = []
        for token, (_, low, high), names in zip(
                tokens, FIELDS, [None, None, None, _CRONIE_MONTHS, _CRONIE_DOWS]):
            bits = _cronie_list(token, low, high, names)
            if bits is None:
                return None
            sets.append(bits)
        entry = CronieEntry()
        entry.minutes = sorted(sets[0])
        entry.hours = sorted(sets[1])
        entry.doms, entry.months, entry.dows = sets[2], sets[3], sets[4]
        if 0 in entry.dows or 7 in entry.dows:
            entry.dows |= {0, 7}
        entry.dom_star = tokens[2].startswith("*")
        entry.dow_star = tokens[4].startswith("*")
        return entry

    def day_matches(self, day):
        dom = day.day in self.doms
        dow = (day.isoweekday() % 7) in self.dows
        if self.dom_star or self.dow_star:
            return dom and dow
        return dom or dow

    def next_slots(self, after, count, years=60):
        """The first `count` minutes strictly after `after` (epoch seconds), day by day."""
        first = (after // 60 + 1) * 60
        day = datetime.datetime.utcfromtimestamp(first).date()
        first_minute_of_day = (first % 86400) // 60
        out = []
        for _ in range(366 * years):
            if day.month in self.months and self.day_matches(day):
                base = calendar.timegm(day.timetuple())
                for h in self.hours:
                    for m in self.minutes:
                        if h * 60 + m >= first_minute_of_day:
                            out.append(base + h * 3600 + m * 60)
                            if len(out) == count:
                                return out
            day += datetime.timedelta(days=1)
            first_minute_of_day = 0
        return out


def croniter_ors(expr):
    """croniter's own decision: are the two day fields OR-ed? (croniter._get_next)"""
    expanded, _ = croniter.expand(expr)
    return expanded[2][0] != "*" and expanded[4][0] != "*"


def cronie_ors(expr):
    tokens = expr.split()
    return not tokens[2].startswith("*") and not tokens[4].startswith("*")


_MONTH_LENGTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]  # February: leap years


def croniter_known_divergence(expr, entry):
    """Which known croniter divergence, if any, applies to this Vixie-syntax expression."""
    ors = croniter_ors(expr)
    # (1) The two implementations pick different day rules. When both day fields hold every
    # value, OR and AND give the same days and nothing differs.
    if ors != cronie_ors(expr) and not (
            entry.doms >= set(range(1, 32)) and entry.dows >= set(range(0, 8))):
        return "day-field rule"
    # (5) Under the OR rule croniter searches the two day fields separately and gives up
    # altogether when the day-of-month one alone can never match in the chosen months.
    if ors and not any(d <= _MONTH_LENGTH[m - 1] for m in entry.months for d in entry.doms):
        return "OR with an impossible day of month"
    # (6) croniter steps from the current day to the next listed day of month by adding the
    # difference in days even when that day does not exist in February, landing on 2 or 3 March
    # and passing over 1 (and 2) March: from 10 Feb 2043, "0 0 1,30 * *" gives 30 March.
    if croniter.expand(expr)[0][2][0] != "*" and {2, 3} <= entry.months and (
            {1, 30} <= entry.doms or {1, 31} <= entry.doms or {2, 31} <= entry.doms):
        return "day of month past the end of February"
    return None


# --------------------------------------------------------------------------------------------
# The implementations under comparison.

class Rejected:
    def __init__(self, why):
        self.why = why

    def __repr__(self):
        return "rejected (%s)" % self.why


def run_croniter(expr, start):
    try:
        it = croniter(expr, float(start))
    except Exception as exc:  # croniter raises ValueError subclasses, and a few others
        return Rejected("%s: %s" % (type(exc).__name__, exc))
    try:
        return [iso(int(it.get_next(float))) for _ in range(SLOTS)]
    except CroniterBadDateError as exc:
        return Rejected("CroniterBadDateError: %s" % exc)
    except Exception as exc:
        return Rejected("%s while iterating: %s" % (type(exc).__name__, exc))


class MaintdError(Exception):
    pass


def run_maintd(binary, expr, start):
    cmd = [binary, "cron", "next", expr, "--from", iso(start), "--count", str(SLOTS)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired:
        raise MaintdError("timed out after 10 s: %s" % " ".join(repr(c) for c in cmd))
    if proc.returncode == 0:
        return proc.stdout.split()
    if proc.returncode == 2:
        if not proc.stderr.strip():
            raise MaintdError("exit 2 with nothing on stderr")
        return Rejected("exit 2: %s" % proc.stderr.strip().splitlines()[0])
    raise MaintdError("exit %d; stderr: %s" % (proc.returncode, proc.stderr.strip()[:500]))


def run_cronie(entry, start):
    if entry is None:
        return Rejected("cronie's parser rejects it")
    slots = entry.next_slots(start, SLOTS)
    if not slots:
        return Rejected("accepted, but never fires within 60 years")
    return [iso(s) for s in slots]


# --------------------------------------------------------------------------------------------
# Expression generator.

def _name(rng, field, v):
    name = MONTH_NAMES[v - 1] if field == 3 else DOW_NAMES[v]
    return rng.choice([name, name.lower(), name.capitalize()])


def _gen_value(rng, field, low, high):
    return rng.randint(low, high)


def _gen_item(rng, field):
    _, low, high = FIELDS[field]
    named = field in (3, 4) and rng.random() < 0.3

    def show(v):
        if named and (field == 3 or v <= 6):
            return _name(rng, field, v)
        return str(v)

    kind = rng.choices(["value", "range", "star_step", "range_step"], [45, 25, 15, 15])[0]
    if kind == "value":
        return show(rng.randint(low, high))
    if kind == "star_step":
        return "*/%d" % rng.randint(1, high - low)
    a = rng.randint(low, high - 1)
    b = rng.randint(a + 1, high)
    if kind == "range":
        return "%s-%s" % (show(a), show(b))
    return "%s-%s/%d" % (show(a), show(b), rng.randint(1, b - a))


# Probability of '*' per field: keeps most expressions firing at least every few years.
_STAR = [0.10, 0.25, 0.50, 0.60, 0.55]


def gen_field(rng, field):
    if rng.random() < _STAR[field]:
        return "*"
    if rng.random() < 0.25:
        return ",".join(_gen_item(rng, field) for _ in range(rng.randint(2, 4)))
    return _gen_item(rng, field)


def gen_valid(rng):
    return " ".join(gen_field(rng, f) for f in range(5))


# Invalid or doubtful replacements for one field. Most are rejected by cronie, croniter and (by
# its documentation) maintd; the doubtful ones are where the three may legitimately differ.
_OUT_OF_RANGE = {0: ["60", "99", "0-60", "5,61", "*/5,60"], 1: ["24", "0-24", "25/2"],
                 2: ["0", "32", "0-5", "1,32"], 3: ["0", "13", "0-3", "11-13"],
                 4: ["8", "0-8", "9,1"]}
_GARBAGE = ["1-", "-", ",5", "5,", "1,,2", "*/", "/5", "1/", "x", "5x", "1-5x", "*/5x", "**",
            "1--5", "5-3", "*/0", "1-5/0", "*/-1", "1-5/", "1.5", "+1", "*/*", "#", "1_2"]
_BAD_NAMES = {0: ["MON", "JAN"], 1: ["MON"], 2: ["JAN", "MON"], 3: ["JANUARY", "MON", "JAX"],
              4: ["MONDAY", "JAN", "SUNDAY", "MO"]}
_DOUBTFUL = {0: ["*/60", "*/90", "1-5/10", "10/5", "05", "00-59/15"],
             1: ["*/24", "*/30", "3/4", "08"],
             2: ["?", "L", "15W", "LW", "*/31", "1/10", "?/2"],
             3: ["*/12", "JAN-DEC/13", "2/3"],
             4: ["?", "MON-SUN", "FRI-SUN", "5L", "1#2", "*/8", "1/2", "SAT-SUN", "7-1"]}


def gen_invalid(rng):
    fields = [gen_field(rng, f) for f in range(5)]
    what = rng.choices(["range", "garbage", "names", "count", "doubtful"], [25, 30, 15, 10, 20])[0]
    f = rng.randrange(5)
    if what == "range":
        fields[f] = rng.choice(_OUT_OF_RANGE[f])
    elif what == "garbage":
        fields[f] = rng.choice(_GARBAGE)
        if f == 0 and fields[f].startswith("-"):
            f = 1  # a leading '-' would read as a command-line option
            fields[0], fields[1] = gen_field(rng, 0), rng.choice(_GARBAGE)
    elif what == "names":
        fields[f] = rng.choice(_BAD_NAMES[f])
    elif what == "count":
        return rng.choice([" ".join(fields[:4]), " ".join(fields + ["1", "2"]), "",
                           " ".join(fields[:3])])
    else:
        fields[f] = rng.choice(_DOUBTFUL[f])
    return " ".join(fields)


def gen_cases(rng, n):
    cases = []
    for _ in range(n):
        start = rng.randint(START_MIN, START_MAX)
        if rng.random() < 0.15:
            cases.append(("invalid", gen_invalid(rng), start))
        else:
            cases.append(("valid", gen_valid(rng), start))
    return cases


# --------------------------------------------------------------------------------------------

_NAMES_RE = re.compile(r"(?i)\b(%s)\b" % "|".join(MONTH_NAMES + DOW_NAMES))


def uses_maintd_extension(expr):
    """'?', L, W, # and macros: syntax maintd documents beyond Vixie cron."""
    return expr.lstrip().startswith("@") or any(
        c in "?LW#" for c in _NAMES_RE.sub("", expr.upper()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--maintd", required=True, help="path to the maintd binary")
    ap.add_argument("--seed", type=int,
                    default=int(os.environ.get("MAINTD_DIFF_SEED", DEFAULT_SEED)),
                    help="RNG seed (default: $MAINTD_DIFF_SEED or %d)" % DEFAULT_SEED)
    ap.add_argument("--cases", type=int, default=DEFAULT_CASES)
    ap.add_argument("--verbose", action="store_true", help="print every case")
    args = ap.parse_args()
    if not os.access(args.maintd, os.X_OK):
        print("maintd binary not found or not executable: %s" % args.maintd)
        return 2

    t0 = time.monotonic()
    rng = random.Random(args.seed)
    print("croniter_diff: seed %d, %d cases, %d slots each (rerun with --seed %d)"
          % (args.seed, args.cases, SLOTS, args.seed))

    passed = failed = both_rejected = 0
    skipped = {}   # divergence -> number of cases compared with the cronie port instead
    reported = []  # acceptance or non-Vixie-syntax differences that do not fail

    def fail(title, expr, start, cr, md, cn):
        nonlocal failed
        failed += 1
        print("MISMATCH %s\n  expr:     %r\n  from:     %s\n  croniter: %s\n  maintd:   %s\n"
              "  cronie:   %s (the port in this script, a third opinion)"
              % (title, expr, iso(start), cr, md, cn))

    for kind, expr, start in gen_cases(rng, args.cases):
        entry = CronieEntry.parse(expr)
        cr = run_croniter(expr, start)
        cn = run_cronie(entry, start)
        try:
            md = run_maintd(args.maintd, expr, start)
        except MaintdError as exc:
            fail("(maintd failed)", expr, start, cr, "ERROR " + str(exc), cn)
            continue
        if args.verbose:
            print("%s %r from %s\n  croniter %s\n  maintd   %s\n  cronie   %s"
                  % (kind, expr, iso(start), cr, md, cn))

        cr_ok, md_ok, cn_ok = (not isinstance(x, Rejected) for x in (cr, md, cn))
        syntax_ok = entry is not None  # cronie accepts the text (it may still never fire)
        divergence = None
        if syntax_ok:
            try:
                divergence = croniter_known_divergence(expr, entry)
            except Exception:  # croniter cannot expand it: nothing of its to skip
                divergence = None
            if divergence == "day of month past the end of February" and cr == cn:
                divergence = None  # croniter did not pass over a day this time

        if divergence:
            # Skipped against croniter; compared with the cronie port instead.
            if md == cn or (not md_ok and not cn_ok):
                skipped[divergence] = skipped.get(divergence, 0) + 1
            elif kind == "valid" or md_ok == cn_ok:
                fail("(croniter skipped: %s; the cronie port disagrees)" % divergence,
                     expr, start, cr, md, cn)
            else:
                reported.append((expr, "cronie %s, maintd %s" % (
                    "accepts" if cn_ok else "rejects", "accepts" if md_ok else "rejects"), cr, md))
            continue
        if cr_ok and md_ok:
            if md == cr:
                passed += 1
            elif syntax_ok:
                fail("", expr, start, cr, md, cn)
            else:  # both accept syntax Vixie cron does not have; their readings may differ
                passed += 1
                reported.append((expr, "non-Vixie syntax read differently", cr, md))
            continue
        if not cr_ok and not md_ok:
            both_rejected += 1
            passed += 1
            continue
        if kind == "valid":
            fail("(only one side rejects a generated Vixie-syntax expression)",
                 expr, start, cr, md, cn)
            continue
        if md_ok and not syntax_ok and not uses_maintd_extension(expr):
            fail("(maintd accepts text that croniter and cronie both reject)",
                 expr, start, cr, md, cn)
            continue
        passed += 1
        reported.append((expr, "%s; cronie %s" % (
            "maintd accepts, croniter rejects" if md_ok else "croniter accepts, maintd rejects",
            "accepts" if syntax_ok else "rejects"), cr, md))

    elapsed = time.monotonic() - t0
    if reported:
        print("\nDifferences reported, not failed (acceptance of invalid or non-Vixie text):")
        for expr, what, cr, md in reported:
            print("  %r: %s\n      croniter: %s\n      maintd:   %s" % (expr, what, cr, md))
    n_skipped = sum(skipped.values())
    print("\n%d passed, %d failed, %d skipped against croniter (%s; each compared with the "
          "cronie port instead, all agree); %d rejected by both; %d differences reported; "
          "seed %d; %.1f s"
          % (passed, failed, n_skipped,
             ", ".join("%d %s" % (n, why) for why, n in sorted(skipped.items())) or "none",
             both_rejected, len(reported), args.seed, elapsed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
