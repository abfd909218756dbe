"""The one error a product definition can raise: where, which key, which rule."""

from __future__ import annotations

from creditguard.money import InputError

__all__ = ["ProductError"]


class ProductError(InputError):
    """A product file, an inline product or a catalogue look-up broke a rule.

    ``source`` is where the definition came from (a file path, ``"scenario"``, ``"inline"``,
    or a catalogue directory), ``key`` the product key at fault (dotted for nested values, such
    as ``restrictions[1].dpd`` or ``installment_fee_rates.3``) and ``rule`` what it broke. The
    message names all three, so one line is enough to fix the file.
    """

    def __init__(self, source: str, key: str, rule: str, *, product: str | None = None) -> None:
        super().__init__(key, rule)
        self.source = source
        self.key = key
        self.product = product
        where = source
        # An inline product's source ("scenario") does not say which product: add its name.
        if product is not None and product not in source:
            where = f"{source} (product {product!r})"
        self.args = (f"{where}: {key}: {rule}",)

    def __str__(self) -> str:
        return str(self.args[0])
