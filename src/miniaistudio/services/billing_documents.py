"""Invoices and monthly statements as PDF, laid out with fpdf2 (a well-kept pure-Python PDF library).

Text is set in DejaVu Sans when installed (any script a buyer's name may use, and currency signs),
else in the PDF core font Helvetica with what it cannot show replaced. Rendering is CPU work: the
doors call these functions off the event loop.
"""

from __future__ import annotations

import functools
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from fpdf import FPDF

if TYPE_CHECKING:
    from .invoices import InvoiceRecord
    from .statements import Statement

#: Currencies Stripe counts in whole units (no cents).
ZERO_DECIMAL_CURRENCIES = frozenset({"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx",
                                     "vnd", "vuv", "xaf", "xof", "xpf"})
_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
_FAMILY = "DejaVu"


def money(amount: int, currency: str) -> str:
    """``amount`` in the currency's smallest unit, written exactly (integers only): ``USD 1,234.50``."""
    code = currency.upper()
    if currency.lower() in ZERO_DECIMAL_CURRENCIES:
        return f"{code} {amount:,}"
    sign = "-" if amount < 0 else ""
    units, cents = divmod(abs(amount), 100)
    return f"{code} {sign}{units:,}.{cents:02d}"


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


@functools.cache
def _unicode_font() -> tuple[Path, Path] | None:
    for folder in _FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


class _Document(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(format="A4")
        self.set_title(title)
        self.set_creator("Mini AI Studio")
        self.set_auto_page_break(auto=True, margin=18)
        fonts = _unicode_font()
        if fonts is not None:
            self.add_font(_FAMILY, "", str(fonts[0]))
            self.add_font(_FAMILY, "B", str(fonts[1]))
            self.family_name = _FAMILY
        else:
            self.family_name = "Helvetica"
        self.add_page()

    def text_of(self, value: str) -> str:
        """``value`` as the current font can show it."""
        if self.family_name != "Helvetica":
            return value
        return value.encode("latin-1", "replace").decode("latin-1")

    def style(self, size: float, bold: bool = False) -> None:
        self.set_font(self.family_name, "B" if bold else "", size)

    def line_text(self, value: str, *, size: float = 10, bold: bool = False, height: float = 5.5) -> None:
        self.style(size, bold)
        self.multi_cell(0, height, self.text_of(value), new_x="LMARGIN", new_y="NEXT")

    def row(self, cells: list[tuple[str, float, str]], *, bold: bool = False) -> None:
        """One table row: (text, width in mm, alignment L/R) per cell."""
        self.style(9.5, bold)
        for text, width, align in cells:
            self.cell(width, 7, self.text_of(text), border="B", align=align)
        self.ln(7)

    def gap(self, height: float = 4) -> None:
        self.ln(height)


def invoice_pdf(invoice: InvoiceRecord) -> bytes:
    pdf = _Document(f"Invoice {invoice.number}")
    pdf.line_text("INVOICE", size=18, bold=True, height=9)
    pdf.line_text(f"Invoice number: {invoice.number}", bold=True)
    pdf.line_text(f"Date: {_day(invoice.issued_at)}")
    pdf.gap()
    pdf.line_text("From", bold=True)
    pdf.line_text(invoice.seller.name)
    for line in invoice.seller.address.splitlines():
        if line.strip():
            pdf.line_text(line.strip())
    if invoice.seller.tax_id:
        pdf.line_text(f"Tax ID: {invoice.seller.tax_id}")
    pdf.gap()
    pdf.line_text("Bill to", bold=True)
    pdf.line_text(invoice.buyer_email)
    pdf.gap(6)
    pdf.row([("Description", 110, "L"), ("Credits", 30, "R"), ("Amount", 40, "R")], bold=True)
    pdf.row([(invoice.description, 110, "L"), (f"{invoice.credits:,}", 30, "R"),
             (money(invoice.net_amount if invoice.tax_label else invoice.amount, invoice.currency), 40, "R")])
    if invoice.tax_label:
        pdf.row([(f"{invoice.tax_label} {invoice.tax_rate}% (included in the price)", 140, "L"),
                 (money(invoice.tax_amount, invoice.currency), 40, "R")])
    pdf.row([("Total paid", 140, "L"), (money(invoice.amount, invoice.currency), 40, "R")], bold=True)
    pdf.gap(6)
    pdf.line_text("Payment", bold=True)
    pdf.line_text("Paid by card through Stripe on " + _day(invoice.issued_at))
    if invoice.payment_reference:
        pdf.line_text(f"Payment reference: {invoice.payment_reference}")
    if invoice.receipt_url:
        pdf.style(10)
        pdf.set_text_color(20, 60, 160)
        pdf.cell(0, 5.5, "Stripe receipt", link=invoice.receipt_url, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        pdf.line_text(invoice.receipt_url, size=8, height=4.5)
    return bytes(pdf.output())


def statement_pdf(statement: Statement) -> bytes:
    usage = statement.usage
    pdf = _Document(f"Usage statement {statement.month}")
    pdf.line_text("USAGE STATEMENT", size=18, bold=True, height=9)
    pdf.line_text(f"Month: {statement.month} (UTC)", bold=True)
    pdf.line_text(f"Account: {statement.email}")
    pdf.gap()
    pdf.row([("Summary", 140, "L"), ("Credits", 40, "R")], bold=True)
    pdf.row([("Credits added (top-ups)", 140, "L"), (f"{usage.credits_added:,}", 40, "R")])
    pdf.row([("Credits used", 140, "L"), (f"{usage.credits_used:,}", 40, "R")])
    pdf.row([("Refunds", 140, "L"), (f"{usage.refunds:,}", 40, "R")])
    sections = (("GPU sessions", usage.gpu_sessions), ("Runs by model", usage.runs_by_model))
    for title, lines in sections:
        pdf.gap(6)
        pdf.row([(title, 110, "L"), ("Count", 30, "R"), ("Credits", 40, "R")], bold=True)
        if not lines:
            pdf.row([("none this month", 180, "L")])
        for line in lines:
            pdf.row([(line.label, 110, "L"), (f"{line.count:,}", 30, "R"), (f"{line.credits:,}", 40, "R")])
    pdf.gap(6)
    pdf.row([("Top-ups", 70, "L"), ("Invoice", 40, "L"), ("Credits", 30, "R"), ("Amount", 40, "R")], bold=True)
    if not usage.purchases:
        pdf.row([("none this month", 180, "L")])
    for purchase in usage.purchases:
        pdf.row([(f"{_day(purchase.paid_at)} {purchase.description}", 70, "L"),
                 (purchase.invoice_number or "-", 40, "L"), (f"{purchase.credits:,}", 30, "R"),
                 (money(purchase.amount, purchase.currency), 40, "R")])
    return bytes(pdf.output())
