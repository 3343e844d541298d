"""The forms staff fill in about children, plans, reviews, invitations and alerts."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, Optional

from ..i18n import CHILD_LANGUAGES, language_label
from ..models import EthnicityGroup, Gender, LabelledEnum, PlacementType, PlanKind
from ..security import row_id


def options(pairs: object) -> list[SelectChoice]:
    """Choices for a SelectField from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]  # type: ignore[attr-defined]


def _choices(kind: type[LabelledEnum]) -> list[SelectChoice]:
    return options(kind.labelled())


def person_or_nobody(value: object) -> int:
    """A person chosen from a list: their id, or 0 for the list's "nobody" choice ("Not
    allocated", "Not yet known"). Raises ValueError (shown as the field's error) for anything
    else, so that a number no row can have never reaches the database."""
    if value in (0, "0"):
        return 0
    chosen = row_id(value)
    if chosen is None:
        raise ValueError(value)
    return chosen


class ChildForm(FlaskForm):
    """A child's details, read into values. What those values must be (the reference's form,
    a date of birth in the past, a language children can answer in, a worker of the team) is
    checked by :mod:`viewpoint.operations.children`, the same rules as the CSV import's."""

    reference = StringField(_l("Case reference"), validators=[
        InputRequired(_l("Enter the child's reference from the case-management system."))])
    first_name = StringField(_l("First name (the name the child uses)"),
                             validators=[InputRequired(_l("Enter a first name."))])
    last_name = StringField(_l("Last name"),
                            validators=[InputRequired(_l("Enter a last name."))])
    date_of_birth = DateField(_l("Date of birth"), validators=[
        InputRequired(_l("Enter the date of birth as a date."))])
    gender = SelectField(_l("Gender"), choices=_choices(Gender))
    ethnicity_group = SelectField(_l("Ethnicity group"), choices=_choices(EthnicityGroup))
    # Not limited to the list offered: the operation refuses a language children cannot
    # answer in with the words the import uses too. A new child with none gets English.
    preferred_language = SelectField(_l("Language the child prefers to answer in"),
                                     default="en", validate_choice=False)
    social_worker_id = SelectField(_l("Social worker"), coerce=person_or_nobody,
                                   validate_choice=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.preferred_language.choices = options((code, language_label(code))
                                                  for code in CHILD_LANGUAGES)


class PlanForm(FlaskForm):
    """A plan, read into values; the placement and dates are checked by the operation."""

    # Checked by the validator rather than by the list of choices, so that an empty or
    # forged kind gets words that say what to do.
    kind = SelectField(_l("Kind of plan"), choices=_choices(PlanKind), validate_choice=False,
                       validators=[AnyOf([member.value for member in PlanKind],
                                         message=_l("Choose the kind of plan from the list."))])
    placement_type = SelectField(_l("Where the child lives (care and pathway plans)"))
    started_on = DateField(_l("Start date"), validators=[
        InputRequired(_l("Enter the date the plan started."))])
    ended_on = DateField(_l("End date (leave empty while the plan is open)"),
                         validators=[Optional()])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.placement_type.choices = [SelectChoice("", _l("Not applicable")),
                                       *_choices(PlacementType)]


class ReviewForm(FlaskForm):
    """A review, read into values; its dates and chair are checked by the operation."""

    due_on = DateField(_l("Date of the review"), validators=[
        InputRequired(_l("Enter the date the review is due."))])
    held_on = DateField(_l("Date it was held (leave empty until then)"),
                        validators=[Optional()])
    chair_id = SelectField(_l("Chair (reviewing officer)"), coerce=person_or_nobody,
                           validate_choice=False)


class InviteForm(FlaskForm):
    questionnaire = SelectField(_l("Questionnaire"))
    band = SelectField(_l("Age band"))
    language = SelectField(_l("Language it opens in"))
    #: One key per form shown, so a double-clicked "send" issues one code.
    request_key = HiddenField(validators=[InputRequired(), Length(min=16, max=64)])


class CloseAlertForm(FlaskForm):
    action_taken = TextAreaField(_l("What was done"), validators=[
        InputRequired(_l("Say what was done before closing the alert.")),
        Length(min=10, max=4000, message=_l("Say what was done in a sentence or more "
                                            "(at least 10 characters)."))])


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token, for buttons that change something."""
