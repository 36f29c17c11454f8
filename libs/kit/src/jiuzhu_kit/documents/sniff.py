"""What a document's bytes may be: the accepted media types, checked against the bytes themselves.

A declared type is believed only if the magic bytes agree (puremagic's signatures; text must be
UTF-8 without NULs). Executables are refused whatever they claim to be, and a zip container
(.docx/.xlsx) whose entries would expand past a bound or by an absurd ratio is refused as a zip bomb,
from its central directory, without expanding anything.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import puremagic

from jiuzhu_kit.errors import DomainError

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEXT = "text/plain"
CSV = "text/csv"
ACCEPTED = frozenset({PDF, PNG, JPEG, DOCX, XLSX, TEXT, CSV})
# "Some bytes": the type is then recognised from the bytes (what generated clients send).
OCTET = "application/octet-stream"
_ZIPPED = {DOCX: "word/document.xml", XLSX: "xl/workbook.xml"}
_TEXT = frozenset({TEXT, CSV})

# Executable formats (ELF, PE/DOS, Mach-O and fat binaries, scripts with an interpreter line, Java
# classes share 0xCAFEBABE with fat Mach-O): refused whatever type is declared.
_EXECUTABLE: tuple[bytes, ...] = (b"\x7fELF", b"MZ", b"#!", b"\xca\xfe\xba\xbe")
_EXECUTABLE += (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe")

# Zip bomb bounds: what the entries would expand to, in all and relative to the stored size.
MAX_EXPANDED = 256 * 1024 * 1024
MAX_RATIO = 100
MAX_ENTRIES = 10_000


class UnsupportedMediaType(DomainError):
    code = "DOCUMENT_MEDIA_TYPE_UNSUPPORTED"
    status = 415
    zh = "不接受该文件类型（{media_type}）；可上传 PDF、PNG、JPEG、DOCX、XLSX、TXT、CSV"
    en = "This media type is not accepted ({media_type}); upload PDF, PNG, JPEG, DOCX, XLSX, TXT or CSV"


class TypeMismatch(DomainError):
    code = "DOCUMENT_TYPE_MISMATCH"
    status = 422
    zh = "文件内容与声明的类型（{media_type}）不符"
    en = "The file's content does not match its declared type ({media_type})"


class ExecutableRefused(DomainError):
    code = "DOCUMENT_EXECUTABLE"
    status = 422
    zh = "不接受可执行文件"
    en = "Executable files are not accepted"


class ZipBomb(DomainError):
    code = "DOCUMENT_ZIP_BOMB"
    status = 422
    zh = "压缩内容解压后过大（可能是压缩炸弹）"
    en = "The compressed content would expand too far (a zip bomb)"


class EmptyDocument(DomainError):
    code = "DOCUMENT_EMPTY"
    status = 422
    zh = "文件为空"
    en = "The file is empty"


def media_type_of(content_type: str | None) -> str:
    """The bare media type of a Content-Type header (parameters such as charset dropped)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def accept(declared: str) -> str:
    """The declared media type if it is one we store, else the 415 refusal (before any byte)."""
    if declared not in ACCEPTED and declared != OCTET:
        raise UnsupportedMediaType(media_type=declared or "-")
    return declared


def detect(path: Path, size: int) -> str:
    """The accepted type the bytes of an `application/octet-stream` upload are (UTF-8 text without
    NULs counts as text/plain), else the 415 refusal; `check` then judges them as that type."""
    if size == 0:
        raise EmptyDocument()
    try:
        found = [m.mime_type for m in puremagic.magic_file(str(path))]
    except puremagic.PureError:
        found = []
    binary = [t for t in found if t in ACCEPTED and t not in _TEXT]
    if binary:
        return str(next((t for t in binary if t in _ZIPPED), binary[0]))  # a docx is also a zip
    with path.open("rb") as f:
        head = f.read(65536)
    try:
        _check_text(head, TEXT, complete=size <= len(head))
    except TypeMismatch:
        raise UnsupportedMediaType(media_type=OCTET) from None
    return TEXT


def check(path: Path, declared: str, size: int) -> None:
    """Refuse the spooled file unless its bytes are what `declared` says (and are safe)."""
    if size == 0:
        raise EmptyDocument()
    with path.open("rb") as f:
        head = f.read(65536)
    if head.startswith(_EXECUTABLE):
        raise ExecutableRefused()
    if declared in _TEXT:
        _check_text(head, declared, complete=size <= len(head))
        return
    try:
        found = {m.mime_type for m in puremagic.magic_file(str(path))}
    except puremagic.PureError:
        found = set()
    if declared not in found:
        raise TypeMismatch(media_type=declared)
    if declared in _ZIPPED:
        _check_zip(path, declared, size)


def _check_text(head: bytes, declared: str, *, complete: bool) -> None:
    if b"\x00" in head:
        raise TypeMismatch(media_type=declared)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # The 64 KiB window may cut a multibyte character at its end; anything else is not UTF-8.
        if complete or exc.start < len(head) - 3:
            raise TypeMismatch(media_type=declared) from None


def _check_zip(path: Path, declared: str, size: int) -> None:
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError):
        raise TypeMismatch(media_type=declared) from None
    if len(infos) > MAX_ENTRIES:
        raise ZipBomb()
    expanded = sum(i.file_size for i in infos)
    if expanded > MAX_EXPANDED or expanded > MAX_RATIO * max(size, 1) and expanded > 1024 * 1024:
        raise ZipBomb()
    if _ZIPPED[declared] not in {i.filename for i in infos}:
        raise TypeMismatch(media_type=declared)
