"""Workbooks as a council's author would type them: XLSForm sheets written with openpyxl."""

from __future__ import annotations

import io

from openpyxl import Workbook


def write(sheets: dict[str, list[list[object]]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


#: A council's own questionnaire, as an author would type it into a spreadsheet.
BACK_HOME = {
    "survey": [
        ["type", "name", "label", "label::Urdu (ur)", "label@8-11", "staff_label", "relevant",
         "indicator", "positive", "alert", "alert_summary", "talk_request"],
        ["select_one faces", "feel_now", "How do you feel now you are back?",
         "واپس آ کر اب آپ کیسا محسوس کرتے ہیں؟", "How do you feel now?", "How they feel now",
         None, "safe_home", "happy", "sad", "Said they feel sad since coming back", None],
        ["select_one yes_no", "want_talk", "Would you like someone to talk with you about it?",
         "کیا آپ چاہتے ہیں کہ کوئی آپ سے اس بارے میں بات کرے؟", None, "Wants to talk about it",
         "${feel_now} = 'sad' or ${feel_now} = 'okay'", None, None, "yes",
         "Asked to talk about coming back", "yes"],
        ["text", "anything_else", "Is there anything else you want to tell us?",
         None, None, "Anything else", None, None, None, None, None, None],
    ],
    "settings": [
        ["form_id", "form_title", "title::Urdu (ur)", "staff_title", "plan_kinds", "bands"],
        ["back-home", "After you came back", "آپ کے واپس آنے کے بعد",
         "After a return from missing", "child_in_need care_plan", "8-11 12-17"],
    ],
}
