"""Title line breaks at word boundaries (GB/T 9704 §7.3.1) and photos prepared for documents."""
import io
from pathlib import Path

from PIL import Image

from inspect_app.documents.images import document_jpeg
from inspect_app.documents.official_docx import TITLE_CHARS_PER_LINE
from inspect_app.documents.words import balanced_lines, boundaries, words
from tests.media import images

DATA = Path(__file__).resolve().parents[1] / "data"


def test_words_keep_domain_terms_and_punctuation_together():
    title = "关于新野县紧密型县域医共体建设核查发现问题的反馈清单（讨论稿）"
    pieces = words(title)
    assert "".join(pieces) == title
    assert "紧密型" in "".join(pieces[2:3]) and any("医共体" in p for p in pieces)
    assert pieces[-1] == "（讨论稿）"
    assert words("问题，整改。") == ["问题，", "整改。"]
    assert "2022年" in words("整改月报（2022年7月）")[-2] and "月报" in words("整改月报")


def test_title_breaks_between_words_into_even_lines():
    title = "关于新野县紧密型县域医共体建设核查发现问题的反馈清单"
    lines = balanced_lines(title, TITLE_CHARS_PER_LINE)
    assert lines == ["关于新野县紧密型县域医共体", "建设核查发现问题的反馈清单"]
    assert "问题" not in {lines[0][-1] + lines[1][:1]}          # never …发现问 / 题…
    long = "关于邓州市紧密型县域医共体建设核查发现问题的第二次补充反馈问题清单（讨论稿）"
    lines = balanced_lines(long, TITLE_CHARS_PER_LINE)
    assert "".join(lines) == long and len(lines) == 2
    cut = len(lines[0])
    assert cut in boundaries(long) and all(len(line) <= TITLE_CHARS_PER_LINE for line in lines)
    assert balanced_lines("现场核查记录表", 20) == ["现场核查记录表"]


def test_a_word_longer_than_a_line_is_cut_as_a_last_resort():
    assert balanced_lines("医共体", 2) == ["医共", "体"]


def test_document_jpeg_is_upright_small_and_without_exif():
    prepared = document_jpeg(images.camera_jpeg())            # 4000 × 3000, EXIF orientation 6, GPS
    assert (prepared.width, prepared.height) == (900, 1200)    # turned upright, long side 1200
    with Image.open(io.BytesIO(prepared.data)) as image:
        assert image.format == "JPEG" and image.size == (900, 1200)
        assert not image.getexif()                             # no GPS or device in the document
    small = document_jpeg((DATA / "transparent.png").read_bytes())
    with Image.open(io.BytesIO(small.data)) as image:
        assert image.mode == "RGB" and max(image.size) <= 1200
