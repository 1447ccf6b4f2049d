"""A small XLSX writer that streams a report's rows straight into the zip, a few hundred
rows at a time: one cell template per column, built once, and a fixed set of styles
(the reports' header, number formats and wrapped text). XlsxWriter spends about 20 µs a
cell in its generic machinery (a namedtuple per cell, attribute lists, escaping of
values that are numbers); here a cell is one f-string. What the file holds is what
export_writers describes; this module only knows how OOXML spells it."""

import contextlib
import re
import zipfile
from xml.sax.saxutils import escape, quoteattr

from openpyxl.utils import get_column_letter

# The cell styles (cellXfs) of styles.xml, by their index.
PLAIN, HEADER, RIGHT_HEADER, GROUPED, DECIMALS, PERCENT, DAY, DAY_TIME, LABEL, WRAPPED = range(10)
# Excel's built-in number formats, and ours (ids from 164 on).
BUILT_IN = {"#,##0": 3, "#,##0.00": 4, "0%": 9}
DAY_FORMAT, DAY_TIME_FORMAT = "DD/MM/YYYY", "DD/MM/YYYY hh:mm"
STYLE_OF_FORMAT = {
    "#,##0": GROUPED,
    "#,##0.00": DECIMALS,
    "0%": PERCENT,
    DAY_FORMAT: DAY,
    DAY_TIME_FORMAT: DAY_TIME,
}

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
CHUNK_ROWS = 500


def width_stored(characters):
    """A width in characters as Excel stores it, with its padding (44 -> 44.7109375),
    for Calibri 11, whose digits are 7 pixels wide."""
    return int((int(characters * 7 + 0.5) + 5) / 7 * 256) / 256


class Sheet:
    """A sheet being written: its columns' widths, the frozen header row, the filter,
    and how it prints (fit to a page's width, landscape, the header on every page)."""

    def __init__(self, title, widths, *, frozen_header=False, landscape=False):
        self.title = title[:31]
        self.widths = widths
        self.frozen_header = frozen_header
        self.landscape = landscape
        self.filter_ref = None  # set once the rows are written

    def head(self):
        view = (
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
            if self.frozen_header
            else ""
        )
        columns = "".join(
            f'<col min="{index}" max="{index}" width="{width_stored(width)}" customWidth="1"/>'
            for index, width in enumerate(self.widths, start=1)
        )
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<worksheet xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">'
            '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
            f'<sheetViews><sheetView workbookViewId="0">{view}</sheetView></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/>'
            f"{f'<cols>{columns}</cols>' if columns else ''}<sheetData>"
        )

    def tail(self):
        orientation = ' orientation="landscape"' if self.landscape else ""
        filter_ = f'<autoFilter ref="{self.filter_ref}"/>' if self.filter_ref else ""
        return (
            f"</sheetData>{filter_}"
            '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" '
            'header="0.3" footer="0.3"/>'
            f'<pageSetup{orientation} fitToHeight="0"/></worksheet>'
        )

    def quoted(self):
        return "'" + self.title.replace("'", "''") + "'"


# Excel reads `_x0041_` in a string as the character it codes (« A »): a text that
# holds such a sequence has its underscore written as `_x005F_`, and reads back as typed.
EXCEL_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")


def text_cell(letter, style=PLAIN):
    """A template (row, text) -> the cell, an inline string (no shared strings table:
    nothing to keep in memory)."""
    start = f'<c r="{letter}'
    styled = f'" s="{style}"' if style else '"'

    def cell(row, text):
        edges = text[:1] + text[-1:]
        space = ' xml:space="preserve"' if edges.strip(" \n\t") != edges else ""
        text = escape(EXCEL_ESCAPE.sub(r"_x005F_\1", text))
        return f'{start}{row}{styled} t="inlineStr"><is><t{space}>{text}</t></is></c>'

    return cell


def number_cell(letter, style=PLAIN):
    """A template (row, number) -> the cell."""
    start = f'<c r="{letter}'
    styled = f'" s="{style}"><v>' if style else '"><v>'

    def cell(row, number):
        return f"{start}{row}{styled}{number}</v></c>"

    return cell


def bool_cell(letter):
    start = f'<c r="{letter}'

    def cell(row, value):
        return f'{start}{row}" t="b"><v>{int(value)}</v></c>'

    return cell


def row_xml(row, cells, height=None):
    tall = f' ht="{height}" customHeight="1"' if height else ""
    return f'<row r="{row}"{tall}>{"".join(cells)}</row>'


def column_letters(count):
    return [get_column_letter(index) for index in range(1, count + 1)]


class Package:
    """The zip: each sheet streamed into its own member as it is written, then the
    workbook, its relationships, the styles and the content types."""

    def __init__(self, output):
        self.zip = zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self.sheets = []

    def write_sheet(self, sheet, chunks):
        """chunks: the rows' XML, a few hundred rows a piece, as text or UTF-8 bytes."""
        self.sheets.append(sheet)
        name = f"xl/worksheets/sheet{len(self.sheets)}.xml"
        with self.zip.open(name, "w", force_zip64=True) as member:
            member.write(sheet.head().encode())
            for chunk in chunks:
                member.write(chunk if isinstance(chunk, bytes) else chunk.encode())
            member.write(sheet.tail().encode())

    def abandon(self):
        """Leaves the zip unfinished (the rows failed): nothing more is written to it."""
        with contextlib.suppress(Exception):  # a member left open by the failure
            self.zip.close()

    def close(self):
        numbers = range(1, len(self.sheets) + 1)
        self.zip.writestr("[Content_Types].xml", _content_types(numbers))
        self.zip.writestr(
            "_rels/.rels",
            _relationships(
                [(f"{RELATIONSHIPS}/officeDocument", "xl/workbook.xml")],
            ),
        )
        self.zip.writestr(
            "xl/_rels/workbook.xml.rels",
            _relationships(
                [(f"{RELATIONSHIPS}/worksheet", f"worksheets/sheet{n}.xml") for n in numbers]
                + [(f"{RELATIONSHIPS}/styles", "styles.xml")]
            ),
        )
        self.zip.writestr("xl/workbook.xml", self._workbook())
        self.zip.writestr("xl/styles.xml", STYLES)
        self.zip.close()

    def _workbook(self):
        sheets, names = [], []
        for index, sheet in enumerate(self.sheets):
            number = index + 1
            sheets.append(
                f'<sheet name={quoteattr(sheet.title)} sheetId="{number}" r:id="rId{number}"/>'
            )
            if sheet.filter_ref:
                start, end = (
                    sheet.filter_ref.split(":")
                    if ":" in sheet.filter_ref
                    else (sheet.filter_ref,) * 2
                )
                names.append(
                    f'<definedName name="_xlnm._FilterDatabase" localSheetId="{index}" hidden="1">'
                    f"{escape(sheet.quoted())}!{_absolute(start)}:{_absolute(end)}</definedName>"
                )
            if sheet.frozen_header:
                names.append(
                    f'<definedName name="_xlnm.Print_Titles" localSheetId="{index}">'
                    f"{escape(sheet.quoted())}!$1:$1</definedName>"
                )
        defined = f"<definedNames>{''.join(names)}</definedNames>" if names else ""
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">'
            '<bookViews><workbookView activeTab="0"/></bookViews>'
            f"<sheets>{''.join(sheets)}</sheets>{defined}</workbook>"
        )


def _absolute(ref):
    letters = ref.rstrip("0123456789")
    return f"${letters}${ref[len(letters) :]}"


def _relationships(targets):
    items = "".join(
        f'<Relationship Id="rId{index}" Type="{kind}" Target="{target}"/>'
        for index, (kind, target) in enumerate(targets, start=1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{PACKAGE}">{items}</Relationships>'
    )


def _content_types(numbers):
    office = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{office}.worksheet+xml"/>'
        for n in numbers
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{office}.sheet.main+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{office}.styles+xml"/>'
        f"{sheets}</Types>"
    )


def _xf(number_format=0, font=0, alignment=""):
    applied = ' applyNumberFormat="1"' if number_format else ""
    applied += ' applyFont="1"' if font else ""
    applied += ' applyAlignment="1"' if alignment else ""
    inner = f"<alignment {alignment}/>" if alignment else ""
    return (
        f'<xf numFmtId="{number_format}" fontId="{font}" fillId="0" borderId="0" xfId="0"'
        f"{applied}>{inner}</xf>"
        if inner
        else f'<xf numFmtId="{number_format}" fontId="{font}" fillId="0" borderId="0" '
        f'xfId="0"{applied}/>'
    )


# In the order of PLAIN … WRAPPED above.
_XFS = [
    _xf(),
    _xf(font=1),
    _xf(font=1, alignment='horizontal="right"'),
    _xf(BUILT_IN["#,##0"]),
    _xf(BUILT_IN["#,##0.00"]),
    _xf(BUILT_IN["0%"]),
    _xf(164),
    _xf(165),
    _xf(font=1, alignment='vertical="top" wrapText="1"'),
    _xf(alignment='vertical="top" wrapText="1"'),
]
STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<styleSheet xmlns="{MAIN}">'
    '<numFmts count="2">'
    f'<numFmt numFmtId="164" formatCode="{DAY_FORMAT}"/>'
    f'<numFmt numFmtId="165" formatCode="{DAY_TIME_FORMAT}"/>'
    "</numFmts>"
    '<fonts count="2">'
    '<font><sz val="11"/><name val="Calibri"/><family val="2"/>'
    "</font>"
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/>'
    "</font>"
    "</fonts>"
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    f'<cellXfs count="{len(_XFS)}">{"".join(_XFS)}</cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '<dxfs count="0"/><tableStyles count="0"/>'
    "</styleSheet>"
)
