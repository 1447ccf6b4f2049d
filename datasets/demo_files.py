"""Small PDF files for the demo's evidence: one page of text, readable in any viewer.

Written by hand (the format's objects, their cross-reference table) rather than through a
PDF library, which the application needs nowhere else."""

from django.core.files.uploadedfile import SimpleUploadedFile


def _escaped(line):
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf_bytes(lines) -> bytes:
    """A one-page A4 PDF showing `lines` (Helvetica, in WinAnsi: French accents print)."""
    text = " ".join(f"({_escaped(line)}) Tj 0 -22 Td" for line in lines)
    stream = f"BT /F1 13 Tf 64 770 Td {text} ET".encode("cp1252")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    table = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        table,
    )
    return bytes(out)


def pdf_upload(name, lines):
    """`pdf_bytes(lines)` as a form would post it, named `name`."""
    return SimpleUploadedFile(name, pdf_bytes(lines), content_type="application/pdf")
