"""A1 column letters: the one helper every layer uses turns numbers into letters and back."""
from __future__ import annotations

from hypothesis import given, strategies as st

from duban.workbooks.model.a1 import col_letters, col_number, ref_col, ref_row

LAST_EXCEL_COLUMN = 16_384     # XFD


@given(st.integers(min_value=1, max_value=10 * LAST_EXCEL_COLUMN))
def test_letters_and_numbers_round_trip(number):
    letters = col_letters(number)
    assert letters.isalpha() and letters.isupper()
    assert col_number(letters) == number
    assert col_number(letters.lower()) == number


@given(st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=4))
def test_every_letter_string_is_a_column_and_comes_back_the_same(letters):
    assert col_letters(col_number(letters)) == letters


@given(st.integers(min_value=1, max_value=LAST_EXCEL_COLUMN), st.integers(min_value=1, max_value=1_048_576))
def test_a_reference_gives_back_its_row_and_column(col, row):
    ref = f"{col_letters(col)}{row}"
    assert (ref_row(ref), ref_col(ref)) == (row, col)


def test_the_columns_excel_names():
    assert [col_letters(n) for n in (1, 26, 27, 52, 53, 702, 703, LAST_EXCEL_COLUMN)] == \
        ["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA", "XFD"]
    assert col_letters(0) == ""
