"""``carbon serve``: the register's web interface (pages and a JSON API) on one machine.

``carbon serve --demo`` starts on a fresh folder with the example register: accounts for one
enterprise (the example factory), its district, the city office and an expert, so that the whole
procedure can be walked through in a browser. Passwords of the demo accounts are printed once.
"""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["serve"]


@click.command("serve")
@click.option("--db", "database_url", default=None, metavar="URL",
              help="Register database: sqlite:///FILE (default sqlite:///<data>/register.sqlite) "
                   "or postgresql+psycopg://USER:PASS@HOST/DB.")
@click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("carbon-web"), show_default=True, help="Folder for uploads.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (loopback by default).")
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--programme", default=None, help="Programme bundle (default: the registry's).")
@click.option("--demo", is_flag=True,
              help="Seed demo accounts and the example factory if the register is empty.")
@click.option("--secure-cookies", is_flag=True, help="Mark cookies Secure (behind HTTPS).")
@click.option("--trusted", multiple=True, type=click.Path(exists=True, dir_okay=False,
                                                          path_type=Path),
              metavar="KEY.pub", help="A trusted Ed25519 public key (as for carbon verify); "
              "repeatable. Uploaded bundles must then be signed by one of them.")
def serve(database_url, data_dir, host, port, programme, demo, secure_cookies, trusted=()):
    """Start the web interface of the programme register."""
    import uvicorn

    from ..web import WebConfig, create_app
    from ..web.demo import seed_demo

    data_dir.mkdir(parents=True, exist_ok=True)
    url = database_url or f"sqlite:///{(data_dir / 'register.sqlite').resolve()}"
    config = WebConfig(database_url=url, data_dir=data_dir, programme=programme,
                       secure_cookies=secure_cookies, trusted_keys=tuple(trusted))
    app = create_app(config)
    if demo:
        for line in seed_demo(app):
            click.echo(line)
    click.echo(f"carbon serve: http://{host}:{port}/  (database {url.split('@')[-1]})")
    uvicorn.run(app, host=host, port=port, log_level="warning")
