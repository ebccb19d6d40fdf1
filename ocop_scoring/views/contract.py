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
