"""Dependencies shared by the routes: the store opened once in the app's lifespan."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from chainmatch.errors import StoreUnavailable
from chainmatch.store import Store

__all__ = ["get_store", "StoreDep"]


def get_store(request: Request) -> Store:
    store: Store | None = getattr(request.app.state, "store", None)
    if store is None:
        raise StoreUnavailable("The store is not open yet; retry in a moment.")
    return store


StoreDep = Annotated[Store, Depends(get_store)]
