"""Secrets in configuration: taken from the environment or a file, never written inline.

A plant file names where a secret lives, not the secret itself::

    password: {env: MQTT_PASSWORD}
    password: {file: /run/secrets/mqtt_password}

:class:`SecretRef` resolves it when a connector starts. Its ``repr`` and ``str`` never show the
value, so logs and error messages cannot leak it.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, model_validator

from shopfloor.model.errors import ConfigError


class SecretRef(BaseModel):
    """Where a secret is: an environment variable (``env``) or a file (``file``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    env: str | None = None
    file: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretRef:
        if (self.env is None) == (self.file is None):
            raise ValueError("a secret names exactly one of env: VARIABLE or file: PATH")
        return self

    def resolve(self) -> str:
        """The secret's value; :class:`ConfigError` says where it was looked for, not what."""
        if self.env is not None:
            value = os.environ.get(self.env)
            if value is None:
                raise ConfigError(f"secret: environment variable {self.env} is not set")
            return value
        assert self.file is not None
        try:
            return Path(self.file).read_text(encoding="utf-8").rstrip("\n")
        except OSError as exc:
            raise ConfigError(f"secret: cannot read file {self.file}: {exc.strerror}") from None

    def __repr__(self) -> str:
        where = f"env={self.env}" if self.env else f"file={self.file}"
        return f"SecretRef({where})"

    __str__ = __repr__
