"""The dossier (bot/dossier.py) as a PDF: fpdf2 with DejaVu Sans, a Unicode TrueType font (€, œ, ’, accents),
taken from matplotlib's package data (installed with Rasa): nothing is downloaded."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from bot.dossier import INTRO, Dossier


def _font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def render(dossier: Dossier) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(True, margin=16)
    fonts = _font_dir()
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    # No personal data in the metadata: a file manager or a mail client shows it.
    pdf.set_title("Dossier de plainte")
    pdf.set_creator("Cyberaide")
    pdf.add_page()
    width = pdf.epw
    pdf.set_font("DejaVu", "B", 15)
    pdf.multi_cell(width, 8, dossier.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(width, 5.5, f"{dossier.situation}\nPréparé le {dossier.prepared_on}.", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(width, 5, INTRO, border=1, padding=2, align="L", new_x="LMARGIN", new_y="NEXT")
    for heading, lines in dossier.sections():
        pdf.ln(3)
        pdf.set_font("DejaVu", "B", 11.5)
        pdf.multi_cell(width, 7, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 10)
        for line in lines:
            pdf.multi_cell(width, 5.5, line, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(-14)
    return bytes(pdf.output())
