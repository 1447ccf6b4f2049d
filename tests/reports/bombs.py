"""Small files built to exhaust a server that reads them naively (issue 12, section 3).

Each returns bytes; tests/reports/test_import_bombs.py uploads them to the admin, and
the measurements in the README were made with the same files.
"""

import io
import re
import zipfile

from openpyxl import Workbook

HEADER = ["nom", "slug", "type_acteur"]


def _workbook(rows=(("Secours solidaire", "secours-solidaire", "Association"),)):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _rewrite(content, name, change):
    """The same archive with one member's text changed by `change`."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == name:
                data = change(data.decode()).encode()
            target.writestr(info.filename, data)
    return buffer.getvalue()


SHEET = "xl/worksheets/sheet1.xml"


def dimension_bomb(ref="A1:XFD1048576"):
    """Two real rows, a sheet that declares `ref` as its size and holds an empty row at
    its last line (about 5 KB): a reader that trusts the size fills every row in between."""
    last = re.search(r"\d+$", ref).group()

    def change(xml):
        xml = re.sub(r'<dimension ref="[^"]+"', f'<dimension ref="{ref}"', xml)
        return xml.replace("</sheetData>", f'<row r="{last}"/></sheetData>')

    return _rewrite(_workbook(), SHEET, change)


def far_cell_bomb():
    """Two real rows and one cell in the last column of the last row Excel allows."""
    far = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    return _rewrite(
        _workbook(), SHEET, lambda xml: xml.replace("</sheetData>", far + "</sheetData>")
    )


LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)


def entity_bomb():
    """A sheet whose first cell expands to a billion "lol" (XML entity expansion)."""

    def change(xml):
        xml = re.sub(r"^<\?xml[^>]*\?>", "", xml)
        return LAUGHS + xml.replace("<t>nom</t>", "<t>&lol9;</t>", 1)

    return _rewrite(_workbook(), SHEET, change)


def zip_bomb(megabytes=200, element=b'<row r="3"/>'):
    """A valid sheet padded with `megabytes` MB of empty rows that compress to almost
    nothing (about 1 KB a MB), written in chunks so that building it costs little."""
    source = zipfile.ZipFile(io.BytesIO(_workbook()))
    buffer = io.BytesIO()
    chunk = element * (1024 * 1024 // len(element))
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename != SHEET:
                target.writestr(info.filename, data)
                continue
            head, tail = data.split(b"</sheetData>")
            with target.open(SHEET, "w", force_zip64=True) as out:
                out.write(head)
                for _ in range(megabytes):
                    out.write(chunk)
                out.write(b"</sheetData>" + tail)
    return buffer.getvalue()


def csv_million_rows():
    """A 2 MB CSV: a header, then one million rows of one character."""
    return b"nom;slug;type_acteur\r\n" + b"x\n" * 1_000_000


def csv_nul_after_8k():
    """A good CSV whose NUL byte comes after the first 8 KB, which were all that was checked."""
    rows = "".join(f"Acteur {i};acteur-{i};Association\r\n" for i in range(400))  # more than 8 KB
    assert len(rows) > 8192
    return ("nom;slug;type_acteur\r\n" + rows + "Acteur\x00nul;acteur-nul;Association\r\n").encode()


def _renamed(content, old_name, new_name, change=None):
    """The same archive with the part `old_name` renamed, every reference to it in the
    content types and relations following, and its text changed by `change`."""
    old_base, new_base = old_name.rsplit("/", 1)[-1], new_name.rsplit("/", 1)[-1]
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            name = info.filename
            if name == old_name:
                name = new_name
                if change is not None:
                    data = change(data.decode()).encode()
            elif name.endswith((".rels", "[Content_Types].xml")):
                data = data.replace(old_base.encode(), new_base.encode())
            target.writestr(name, data)
    return buffer.getvalue()


def renamed_sheet_bomb(cells=2_500_000):
    """The sheet renamed `sheet1.XML`, holding one row of `cells` cells (about 130 KB
    zipped): a scan that trusts the name's case skips it."""
    row = "".join(f'<c r="A{i}"><v>1</v></c>' for i in range(2, 4)) + '<c r="B2"/>' * cells

    def change(xml):
        return xml.replace("</sheetData>", f'<row r="2">{row}</row></sheetData>')

    return _renamed(_workbook(), SHEET, "xl/worksheets/sheet1.XML", change)


def renamed_strings_bomb(strings=400_000):
    """Shared strings in a part named `sharedStrings.XML`, holding `strings` distinct
    strings, each kept in memory by openpyxl: a scan that trusts the name's case skips
    it. (openpyxl writes its strings inline: the part, its relation and its content type
    are added here.)"""
    items = "".join(f"<si><t>{i}</t></si>" for i in range(strings))
    strings_xml = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'count="{strings}" uniqueCount="{strings}">{items}</sst>'
    )
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
    relation = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
    source = zipfile.ZipFile(io.BytesIO(_workbook()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename).decode()
            if info.filename == "[Content_Types].xml":
                data = data.replace(
                    "</Types>",
                    f'<Override PartName="/xl/sharedStrings.XML" ContentType="{kind}"/></Types>',
                )
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(
                    "</Relationships>",
                    f'<Relationship Id="rIdS" Type="{relation}" Target="sharedStrings.XML"/>'
                    "</Relationships>",
                )
            target.writestr(info.filename, data.encode())
        target.writestr("xl/sharedStrings.XML", strings_xml.encode())
    return buffer.getvalue()
