"""The page contract: CSS classes (and data attributes) that tests and scripts rely on.

Layer: views. Kept in one place; the README lists the same names.
Every interactive element of the pages carries one of these classes.
"""

from __future__ import annotations

# Member form and secretary entry
PRODUCT_PICKER = "ocop-product-picker"  # the product list (a select): switching product stays on the page
MEMBER_PICKER = "ocop-member-picker"  # secretary: whose card is being entered
CRITERION_PREFIX = "ocop-crit-"  # + code with dots as underscores: ocop-crit-1_1, ocop-crit-6_1_2 (radio group)
ENTRY_PREFIX = "ocop-entry-"  # + code: secretary's fast entry box (type the option number, Tab)
TOTAL = "ocop-total"  # running total; the number is in data-total on its inner element
SUBMIT = "ocop-submit"  # submit the card (asks for confirmation)
CONFIRM = "ocop-confirm"  # confirm submitting
CANCEL = "ocop-cancel"  # cancel submitting
STATUS = "ocop-status"  # the status line (saved / errors / locked)
COMMENT = "ocop-comment"  # "Ý kiến của người đánh giá"
RECUSE_REASON = "ocop-recuse-reason"
RECUSE = "ocop-recuse"
LANG = "ocop-lang"  # VI / EN toggle
PROGRESS = "ocop-progress"  # the member's progress line; the dashboard's progress grid
# Secretary
REOPEN = "ocop-reopen"
REASON = "ocop-reason"
KNOCKOUT = "ocop-knockout"
NEW_ROUND = "ocop-new-round"
FINALISE = "ocop-finalise"
UPLOAD_MEMBERS = "ocop-upload-members"
UPLOAD_PRODUCTS = "ocop-upload-products"
# Projector dashboard
ROW_PREFIX = (
    "ocop-row-"  # + product id: one results row, with data-mean (as `ocop score` prints mean_total) and data-stars
)
RESULTS = "ocop-results"
DETAIL = "ocop-detail"  # the product view: the whole calculation
DETAIL_PICKER = "ocop-detail-picker"
STABILITY = "ocop-stability"  # the product view's (and the report's) star stability line, data-stable="true|false"
AGREEMENT_LINE = "ocop-agreement-line"  # the product view's agreement line (α, each member's difference)
AGREEMENT = "ocop-agreement"  # the report's agreement section
# Programme page
PROGRAMME = "ocop-programme"  # the page (and the report's programme section)
PROVINCE_PICKER = "ocop-province-picker"  # the province select ("" = all)
PROGRAMME_REFRESH = "ocop-programme-refresh"
PROGRAMME_TARGETS = "ocop-prog-targets"  # progress against the province's targets (one li per target, data-status)
PROGRAMME_TABLES = "ocop-programme-tables"  # tables of counts (table.ocop-prog-table[data-dimension], tr[data-key])
PROGRAMME_CHARTS = "ocop-programme-charts"
# Criteria workbench
SHEET_PICKER = "ocop-sheet-picker"
WHATIF_SESSION = "ocop-whatif-session"
WHATIF_RUN = "ocop-whatif-run"
WHATIF_CHANGES = (
    "ocop-whatif-changes"  # the list of products whose star would change (one .ocop-change-<product_id> each)
)
CHANGE_PREFIX = "ocop-change-"
SAVE_VERSION = "ocop-save-version"
VALIDATION = "ocop-validation"
DIFF = "ocop-diff"

# --- page-specific classes (each page's own elements; scoped under the page) -------------------------
# Secretary
ENTRY_MODE = "ocop-entry-mode"  # fast keyboard entry / full form
UNRECUSE = "ocop-unrecuse"
FLAGGED_PICKER = "ocop-flagged-picker"
UPLOAD_REPORT = "ocop-upload-report"
ACTIONS = "ocop-secretary-actions"
FINALISE_BOX = "ocop-finalise-box"
KO_BOX = "ocop-ko-box"  # Kết thúc tab: the knock-outs the ticks trigger
KO_PICKER = "ocop-ko-picker"  # the flagged product shown (a select)
KO_PANEL = "ocop-ko-panel"  # criterion, note, members; inner div[data-product][data-decision=pending|knocked_out|kept]
KO_REASON = "ocop-ko-reason"  # the reason to confirm, prefilled "tiêu chí X: <note>"
KO_CONFIRM = "ocop-ko-confirm"  # "Xác nhận loại"
KO_KEEP_REASON = "ocop-ko-keep-reason"
KO_KEEP = "ocop-ko-keep"  # "Không loại, ghi lý do"
RECOGNITION = "ocop-recognition"  # Công nhận tab: the recognition decision's box
AWAITING_PREFIX = "ocop-awaiting-"  # + product id: its checkbox among the products awaiting recognition
DECISION_NUMBER = "ocop-decision-number"
DECISION_DATE = "ocop-decision-date"
RECOGNISE = "ocop-recognise"  # "Ghi quyết định công nhận"
STANDINGS = "ocop-standings"  # each product's standing: tr[data-product][data-standing]
DECISIONS = "ocop-decisions"  # the decisions recorded: tr[data-seq][data-kind]
CENTRAL_NUMBER = "ocop-central-number"
CENTRAL_DATE = "ocop-central-date"
UPLOAD_CENTRAL = "ocop-upload-central"  # the central council's results (.json)
CENTRAL_REPORT = "ocop-central-report"
# Scoring form (member and secretary)
STICKY = "ocop-sticky"  # the sticky bar: totals and status
LOCK_LINE = "ocop-lock-line"  # "Đã nộp lúc …" / recused / knocked out / session finalised
CONFIRM_BOX = "ocop-confirm-box"  # the confirmation row (submit, recusal)
PRODUCT_HEAD = "ocop-product-head"
ENTRY_INFO_PREFIX = "ocop-entry-info-"  # + code: what a typed number means (or why it is refused)
NOT_APPLICABLE = "ocop-na"  # a criterion whose condition is not met (5.2 while 5.1 says "no story")
# Criteria workbench
TREE = "ocop-wb-tree"
EXPAND = "ocop-wb-expand"
NODE_PICKER = "ocop-wb-node"
RULESET_PICKER = "ocop-wb-ruleset"
RESET = "ocop-wb-reset"
TEXT_VI = "ocop-wb-text-vi"
TEXT_EN = "ocop-wb-text-en"
MAX_POINTS = "ocop-wb-max"
OPTION_PREFIX = "ocop-wb-option-"  # + number: one option's row
OPT_TEXT_VI = "ocop-wb-opt-text-vi"
OPT_TEXT_EN = "ocop-wb-opt-text-en"
OPT_POINTS = "ocop-wb-opt-points"
OPT_UP = "ocop-wb-opt-up"
OPT_DOWN = "ocop-wb-opt-down"
OPT_REMOVE = "ocop-wb-opt-remove"
STAR_PREFIX = "ocop-wb-star-"  # + star level: the Dropdown choosing the option carrying that marker
ADD_OPTION = "ocop-wb-add-option"
FIT_MAXIMA = "ocop-wb-fit-maxima"
VERSION_NAME = "ocop-wb-version-name"
EXPORT = "ocop-wb-export"
DOWNLOAD = "ocop-wb-download"
IMPORT = "ocop-wb-import"
TOKEN = "ocop-wb-token"
WHATIF_TABLE = "ocop-whatif-table"


def criterion_class(code: str) -> str:
    """The class of a criterion's option group: ``ocop-crit-6_1_2`` for 6.1.2."""
    return CRITERION_PREFIX + code.replace(".", "_")


def entry_class(code: str) -> str:
    """The class of a criterion's fast-entry box on the secretary page."""
    return ENTRY_PREFIX + code.replace(".", "_")


def row_class(product_id: str) -> str:
    """The class of a product's row on the dashboard."""
    return ROW_PREFIX + product_id


def change_class(product_id: str) -> str:
    """The class of a product listed by the workbench's what-if."""
    return CHANGE_PREFIX + product_id
