import strategy.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('strategy', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='historicalissue',
            name='name',
            field=models.CharField(max_length=200, validators=[strategy.validators.validate_single_line], verbose_name='nom'),
        ),
        migrations.AlterField(
            model_name='historicalmeasure',
            name='name',
            field=models.CharField(max_length=300, validators=[strategy.validators.validate_single_line], verbose_name='nom'),
        ),
        migrations.AlterField(
            model_name='historicalterritory',
            name='name',
            field=models.CharField(max_length=200, validators=[strategy.validators.validate_single_line], verbose_name='nom'),
        ),
        migrations.AlterField(
            model_name='issue',
            name='name',
            field=models.CharField(max_length=200, validators=[strategy.validators.validate_single_line], verbose_name='nom'),
        ),
        migrations.AlterField(
            model_name='measure',
            name='name',
            field=models.CharField(max_length=300, validators=[strategy.validators.validate_single_line], verbose_name='nom'),
        ),
        migrations.AlterField(
            model_name='territory',
            name='name',
            field=models.CharField(max_length=200, validators=[strategy.validators.validate_single_line], verbose_name='nom'),
        ),
    ]
