//! The registry of diagnostic codes. A code is never reused: a retired code stays here with
//! `retired: true`. `bylaw explain-code CODE` prints the entry, and the tidy test checks that
//! every live code has a fixture under `tests/diagnostics/`.

/// One registered diagnostic code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Code(pub &'static str);

/// What a code means, why it is an error, and how to fix it.
#[derive(Debug, Clone, Copy)]
pub struct CodeDoc {
    pub code: Code,
    pub title: &'static str,
    pub explanation: &'static str,
    pub retired: bool,
}

macro_rules! codes {
    ($($name:ident = $code:literal, $title:literal, $explanation:literal;)*) => {
        $(pub const $name: Code = Code($code);)*
        /// Every code, in order.
        pub const ALL: &[CodeDoc] = &[
            $(CodeDoc { code: $name, title: $title, explanation: $explanation, retired: false },)*
        ];
    };
}

codes! {
    SYNTAX = "E0001", "syntax error",
        "The text does not follow Bylaw's grammar. The message says what the parser expected at the underlined place. Fix: compare with the examples in docs/language.md.";
    UNKNOWN_NAME = "E0002", "unknown name",
        "A name is used that is not a field, definition, parameter, scale, enumeration or variant in scope. Inside an aggregate the child entity's names come first. Fix: correct the spelling (the diagnostic suggests close names) or declare it.";
    TYPE_MISMATCH = "E0003", "operands of incompatible types",
        "An arithmetic operation mixes types that have no meaning together, such as money plus a count, or money times money. Fix: convert explicitly (per_year, floor) or write the unit on the literal (`24 元`, not `24`).";
    COMPARE_MISMATCH = "E0004", "comparison of incompatible types",
        "Both sides of a comparison must have the same type and unit: money with money of the same period, months with months. `income < 24` compares money with a count. Fix: write the unit (`income < 24 元`).";
    NOT_BOOL = "E0005", "condition is not a boolean",
        "`if`, `and`, `or`, `not`, `where` and `when` need a boolean. Fix: compare the value with something (`x > 0 元`).";
    BRANCH_MISMATCH = "E0006", "branches of different types",
        "The `then` and `else` branches of an `if` (or the arguments of min/max) must have the same type. Fix: make both branches the same unit.";
    BAD_CALL = "E0007", "wrong arguments",
        "A built-in function was given the wrong number or types of arguments. The message lists what it takes.";
    UNKNOWN_FUNCTION = "E0008", "unknown function",
        "A call names neither a built-in function, an aggregate nor a scale. Fix: correct the name.";
    DUPLICATE = "E0009", "duplicate declaration",
        "Two declarations in scope have the same name. Dated versions of one rule must say `from`/`until` and must not overlap. Fix: rename one, or date them.";
    CYCLE = "E0010", "definitions depend on each other",
        "Bylaw has no recursion: a definition may not depend on itself through other definitions. Fix: break the cycle.";
    AMBIGUOUS_EXCEPTIONS = "E0011", "exceptions can apply together without an order",
        "Two exceptions to one definition may both apply, and neither says `before` the other. Bylaw does not guess which wins. The checker shows conditions disjoint from comparisons of one value with constants (ranges such as `age < 80 years` and `age >= 80 years`, variants of one enumeration, `c` and `not c`) joined by `and`, `or` and `not`. When both conditions read only input fields it names values under which both hold; otherwise it says it cannot prove them disjoint. Fix: add `before other_exception`, or make the conditions disjoint in those terms.";
    BAD_EXCEPTION = "E0012", "exception to something that is not a definition",
        "An exception must name a `let`, `rule` or `amount` that has an unconditional base definition, and give a value of its type.";
    BAD_LITERAL = "E0013", "invalid literal",
        "A number, date or unit could not be read: a date that does not exist, more decimals than the type keeps (money is exact to 0.0001 元, rates to 0.0001 %), or a value too large.";
    LITERAL_TYPE = "E0014", "value of the wrong type",
        "A value in a parameter, default, test or scenario does not have the declared type (money needs a unit: `500 元`; durations: `24 months`).";
    PARAMETER_KEY = "E0015", "parameter keyed wrongly",
        "A parameter declared `by E` must be read as `p[key]` with a key of enumeration E, and its values must name a variant of E; an unkeyed parameter is read as `p`.";
    MISSING_VALUE = "E0016", "no value in force at the date",
        "A parameter, scale or dated rule has no value in force at the evaluation date (for some key). Households that need it fail with `missing_value`. Fix: add a dated value, or evaluate at another date.";
    BAD_ENTITY = "E0017", "entity problem",
        "The input schema is malformed: no root entity, more than one root, an unknown entity in `many` or `for`, more than one key field, or dated records (`entity stay from started_on until ended_on`) whose first day is not a date that always has a value, or whose last day is not a date.";
    RELATION_MISUSE = "E0018", "relation used wrongly",
        "Aggregates run over a relation (`count(members)`); a definition `for person` is a value per member and can only be read inside an aggregate over members or in another person definition.";
    AGGREGATE_FORM = "E0019", "aggregate written wrongly",
        "`count` takes no value; `sum`, `min`, `max`, `any` and `all` need one (`sum(members: income)`); `min` and `max` need `else` for an empty relation.";
    DECLARED_TYPE = "E0020", "body does not have the declared type",
        "A definition declares a type and its body has another. An `amount` must be money.";
    USE_NOT_FOUND = "E0021", "imported file not found",
        "A `use` names a file that cannot be read. Paths are relative to the importing file.";
    TEST_INPUT = "E0022", "test input does not match the schema",
        "A test gives a field that the entity does not have, omits one without a default, or nests a relation wrongly.";
    UNKNOWN_OUTPUT = "E0023", "expectation names no output",
        "`expect x = v` must name a definition of the root entity; `expect error CODE` must name one of `overflow`, `division_by_zero`, `missing_value`, `below_scale`, `outside_calendar`.";
    OVERLAPPING_VERSIONS = "E0024", "dated versions overlap",
        "Versions of one definition (`from`/`until`) or values of one parameter key on the same date overlap, so the one in force would be ambiguous.";
    UNKNOWN_ROUNDING = "E0025", "unknown rounding mode",
        "Rounding modes are `up`, `down`, `ceiling`, `floor`, `half_up`, `half_down` and `half_even`, as in java.math.RoundingMode.";
    SCALE = "E0026", "scale written wrongly",
        "A scale's thresholds must have its input type and rise strictly; a marginal scale's values must be rates.";
    PERIOD_MIX = "E0027", "money per month mixed with money per year",
        "Monthly and yearly flows never mix implicitly. Fix: convert with `per_year(x)` (× 12) or `per_month(x)` (÷ 12).";
    UNCITED = "E0028", "value without a source or assumption",
        "Every parameter value needs `source DOC \"phrase\"` or `assumed \"reason\"` (on itself or on its parameter), and so does every `rule` and `amount` in a file with a `policy` header. A warning: the policy still runs, but its basis is not on record.";
    TEST_FAILED = "E0029", "test failed",
        "A `test` block's expectation did not hold; the message shows expected and actual values and the definition that produced them.";
    RECONCILIATION = "E0030", "reported figures do not add up",
        "A `check` states that figures reported in a source add up (`check raoping \"…\" 184 + 151 + 374 = 709`), and they do not: the message gives both sides and the difference. `= about 2.7 亿元` allows half a unit of the figure's last digit. Fix the figure, or record the discrepancy in a `note`.";
    MISSING_CODE = "E0100", "category or service without a code",
        "Every category and service in a catalogue needs a stable `code \"A01\"`: service logs name services by code, and codes outlive renamings. Fix: add the code the source or the local system uses.";
    DUPLICATE_CODE = "E0101", "code used twice",
        "Two categories or services share a code, so a log row naming it would be ambiguous. Fix: give each its own code.";
    BAD_GROUP = "E0102", "service group is not a rule",
        "`service s for g` names whom the service is for: `g` must be a boolean `rule`, and all groups of one service must be rules of one entity (e.g. all `for person`). Fix: name a rule, or declare one.";
    BAD_SCOPE = "E0103", "obligation scope written wrongly",
        "`obligation o for every E` needs an entity E; delivery standards need E to have a `key` (the service log names rows by it); an obligation must require or deliver something.";
    UNKNOWN_SERVICE = "E0104", "unknown service",
        "A delivery standard names something that is neither a service, a category nor a catalogue. Fix: correct the name (the diagnostic suggests close ones) or declare the service.";
    EVENT_NOT_DATE = "E0105", "deadline event is not a date",
        "`s within N days of x` counts days from the date `x`; `x` must be a date field or definition of the scope entity.";
    BAD_LIGHT = "E0106", "lights or coverage written wrongly",
        "Lights are tried in order: each but the last has `when` a condition over the obligation's parts declared above it (true when met), and the last has none. A coverage target is one share between 0% and 100%.";
    BAD_PERIOD = "E0107", "invalid period",
        "A compliance period is a month `2023-07`, a quarter `2023-Q3` or a year `2023`.";
    BAD_COMPLY_EXPECT = "E0108", "compliance expectation names no obligation, part or outcome",
        "`expect o[.part] for \"key\" = outcome` must name an obligation, optionally one of its parts, and an outcome: met, missed, not_applicable, out_of_scope, or a light (red, yellow, green) for the whole obligation.";
    LAST_YEAR = "E0031", "`[last year]` used where there is no previous year",
        "`x[last year]` (上年度) reads x for the year before the row's year. x must be an input field of a yearly table — an entity with a `region` field (an enumeration) and a `year: count` field, one row per region and year — or a parameter (read on 1 January of the previous year). Definitions have no previous year: give the figure as an input field.";
    BAD_LIMIT = "E0032", "limit written wrongly",
        "`at most` / `at least` / `in principle at most` clauses cap or floor a `let`, `amount` or `fund` with a value of the same type (money with money of the same period). A `rule` is a condition and takes no limit.";
    BAD_TARGET = "E0033", "coverage target written wrongly",
        "A `target` is `covered / total` of two counts, with an optional `cost` (money per unit of shortfall) and milestones `70% by 2023-12-31` whose shares are rates between 0% and 100% and whose dates rise.";
    CALENDAR = "E0040", "calendar written wrongly",
        "A `calendar` covers the days `from D until D` (both included, at most 100 years); each `holiday` and `working` line gives a day or a range `D1 .. D2` inside them. A day is declared once: not both a holiday and a working day, not in two holiday lines. A `working` day (调休) is a Saturday or Sunday made a working day: a weekday already is one.";
    NO_CALENDAR = "E0041", "no calendar to count working days over",
        "Working days (`add_working_days`, `working_days_between`, `within N working days of x`) are counted over a declared `calendar`. With one calendar in scope it is used; with several, name one (`add_working_days(d, 15, cn_workdays)`, `within 15 working days of x in cn_workdays`); with none, declare one or `use` a file that does (policies/national/workdays_2025.bylaw).";
    MAYBE_MISSING = "E0034", "a date that may be missing is read directly",
        "A date field declared `default none` may have no value (a period still going on has no end date). It is read only through `known(d)` (whether it has a value) or `first_known(d, …, fallback)` (the first argument with a value; the last must always have one), so no rule silently compares a missing date. Only date fields may be `default none`.";
    HISTORY = "E0035", "history function written wrongly",
        "`continuous_months(r where c, d)`, `longest_months(r where c, d)` and `days_within(r where c, first, last)` fold a relation of dated records: `r` must be a relation whose entity is declared `from FIRST until LAST` (its fields holding each record's first day and optional last day), the filter is optional, and the dates are dates that always have a value. Fix: declare the entity's dates, or give the dates the function counts to.";
}

/// Looks a code up by its text (`E0003`).
pub fn lookup(code: &str) -> Option<&'static CodeDoc> {
    ALL.iter().find(|d| d.code.0.eq_ignore_ascii_case(code))
}
