"""The forms staff fill in about children, plans, reviews, invitations and alerts."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError

from ..i18n import CHILD_LANGUAGES, language_label
from ..models import EthnicityGroup, Gender, LabelledEnum, PlacementType, PlanKind


def options(pairs: object) -> list[SelectChoice]:
    """Choices for a SelectField from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]  # type: ignore[attr-defined]


def _choices(kind: type[LabelledEnum]) -> list[SelectChoice]:
    return options(kind.labelled())


class ChildForm(FlaskForm):
    reference = StringField(_l("Case reference"), validators=[
        InputRequired(_l("Enter the child's reference from the case-management system.")),
        Length(max=40), Regexp(r"^[A-Za-z0-9][A-Za-z0-9/_.-]*$",
                               message=_l("Use letters, numbers and - / _ . only."))])
    first_name = StringField(_l("First name (the name the child uses)"),
                             validators=[InputRequired(_l("Enter a first name.")),
                                         Length(max=80)])
    last_name = StringField(_l("Last name"), validators=[InputRequired(_l("Enter a last name.")),
                                                         Length(max=80)])
    date_of_birth = DateField(_l("Date of birth"), validators=[
        InputRequired(_l("Enter the date of birth as a date."))])
    gender = SelectField(_l("Gender"), choices=_choices(Gender))
    ethnicity_group = SelectField(_l("Ethnicity group"), choices=_choices(EthnicityGroup))
    preferred_language = SelectField(_l("Language the child prefers to answer in"))
    social_worker_id = SelectField(_l("Social worker"), coerce=int)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.preferred_language.choices = options((code, language_label(code))
                                                  for code in CHILD_LANGUAGES)

    def validate_date_of_birth(self, field_: DateField) -> None:
        from datetime import date

        if field_.data and (field_.data > date.today() or field_.data.year < 1990):
            raise ValidationError(_l("Enter a date of birth in the past."))


class PlanForm(FlaskForm):
    kind = SelectField(_l("Kind of plan"), choices=_choices(PlanKind))
    placement_type = SelectField(_l("Where the child lives (care and pathway plans)"))
    started_on = DateField(_l("Start date"), validators=[
        InputRequired(_l("Enter the date the plan started."))])
    ended_on = DateField(_l("End date (leave empty while the plan is open)"),
                         validators=[Optional()])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.placement_type.choices = [SelectChoice("", _l("Not applicable")),
                                       *_choices(PlacementType)]

    def validate_placement_type(self, field_: SelectField) -> None:
        needs = PlanKind(self.kind.data) in (PlanKind.CARE_PLAN, PlanKind.PATHWAY_PLAN)
        if needs and not field_.data:
            raise ValidationError(_l("Choose where the child lives: care and pathway plans "
                                     "record the placement."))
        if not needs and field_.data:
            raise ValidationError(_l("Only care plans and pathway plans record a placement."))

    def validate_ended_on(self, field_: DateField) -> None:
        if field_.data and self.started_on.data and field_.data < self.started_on.data:
            raise ValidationError(_l("The end date cannot be before the start date."))


class ReviewForm(FlaskForm):
    due_on = DateField(_l("Date of the review"), validators=[
        InputRequired(_l("Enter the date the review is due."))])
    held_on = DateField(_l("Date it was held (leave empty until then)"),
                        validators=[Optional()])
    chair_id = SelectField(_l("Chair (reviewing officer)"), coerce=int)


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
